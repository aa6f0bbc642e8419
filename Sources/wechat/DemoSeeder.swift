import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Logging

/// Fills a fresh demo server with people who are friends and have talked, through the real gate
/// and chat protocol, exactly as clients would. Running it again on the same data does nothing new.
struct DemoSeeder {
    struct Login {
        var username: String
        var password: String
    }

    let gateURL: String
    let mailboxPath: String
    let logger: Logger

    static let password = "demo-pass"
    static let people = ["alice", "bob", "carol", "dave"]

    /// (from, to, text): a little history in several languages, with emoji.
    static let history: [(Int, Int, String)] = [
        (1, 0, "早上好，爱丽丝！今天的会议改到下午三点了 📅"),
        (0, 1, "好的，谢谢提醒 🙏 我会准时到。"),
        (1, 0, "Also: lunch at the noodle place? 🍜"),
        (0, 1, "Yes! 12:30 works. 我请客 😄"),
        (2, 0, "Alice, did you see the new terminal chat app? It renders CJK properly: 你好，世界 🌏"),
        (0, 2, "I'm using it right now 😎 Try Ctrl-S to search old messages."),
        (2, 0, "Nice. And F2 switches themes live 🎨"),
        (3, 0, "Reminder: the build is green again ✅"),
        (1, 2, "Carol, 周末一起去爬山吗？⛰️"),
        (2, 1, "好啊！带上相机 📷"),
    ]

    /// (from, text, mentions, reply to the group's seq): the group's talk after it is made (seq 1).
    static let groupTalk: [(Int, String, [Int], UInt64)] = [
        (0, "Weekend hike: Saturday 8:00 at the north gate ⛰️", [], 0),
        (1, "我带水和零食 🍫", [], 2),
        (2, "@alice can I bring a friend?", [0], 0),
        (0, "Of course! The more the merrier 🙂", [], 4),
    ]

    /// alice's group with bob and carol, and a little talk in it: a mention, replies.
    private func seedGroup(connections: [ChatConnection], ids: [Int64]) async throws {
        var create = WireCreateGroup()
        create.name = "周末爬山 hikers"
        create.memberIds = [ids[1], ids[2]]
        guard case .groupInfo(let info) = try await connections[0].request(.createGroup(create)) else { return }
        for (index, (from, text, mentions, replyTo)) in Self.groupTalk.enumerated() {
            var send = WireSendMessage()
            send.groupID = info.group.id
            send.clientMsgID = "demo-group-\(index)"
            send.text = text
            send.mentions = mentions.map { ids[$0] }
            send.replyToSeq = replyTo
            _ = try await connections[from].request(.sendMessage(send))
        }
    }

    func seed() async throws -> [Login] {
        let gate = GateClient(baseURL: gateURL)
        let logins = Self.people.map { Login(username: $0, password: Self.password) }
        // Already seeded (a second run on the same data): just sign in.
        if (try? await gate.login(account: Self.people[0], password: Self.password)) != nil {
            return logins
        }
        // Side by side: each sign-up and sign-in is mostly a bcrypt hash, and there are two cores.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for name in Self.people {
                group.addTask {
                    let email = "\(name)@demo.wechat"
                    try await gate.requestCode(email: email, purpose: .register)
                    guard let code = DevMailbox.latestCode(for: email, inMailboxAt: mailboxPath) else {
                        throw ChatError(.internalError, "The demo could not read its verification code.")
                    }
                    _ = try await gate.register(username: name, email: email, password: Self.password, code: code)
                }
            }
            try await group.waitForAll()
        }
        let logger = logger
        let sessions = try await withThrowingTaskGroup(of: (Int, ChatConnection, Int64).self) { group in
            for (index, name) in Self.people.enumerated() {
                group.addTask {
                    let login = try await gate.login(account: name, password: Self.password)
                    let connection = try await ChatConnection.connect(
                        host: login.chatServer.host,
                        port: login.chatServer.port,
                        logger: logger
                    )
                    var hello = WireHello()
                    hello.protocolVersion = ProtocolLimits.protocolVersion
                    hello.token = login.token
                    hello.deviceID = "demo-seeder"
                    _ = try await connection.request(.hello(hello))
                    return (index, connection, login.userId)
                }
            }
            var sessions: [(Int, ChatConnection, Int64)] = []
            for try await session in group { sessions.append(session) }
            return sessions.sorted { $0.0 < $1.0 }
        }
        let connections = sessions.map(\.1)
        let ids = sessions.map(\.2)
        // alice is friends with everyone; bob and carol with each other; dave has asked carol.
        for (from, to) in [(1, 0), (2, 0), (3, 0), (2, 1)] {
            var request = WireSendFriendRequest()
            request.toUserID = ids[to]
            request.message = "Hi, it's \(Self.people[from]) 👋"
            _ = try await connections[from].request(.sendFriendRequest(request))
            var accept = WireRespondFriendRequest()
            accept.fromUserID = ids[from]
            accept.accept = true
            _ = try await connections[to].request(.respondFriendRequest(accept))
        }
        var pending = WireSendFriendRequest()
        pending.toUserID = ids[2]
        pending.message = "Carol, we met at the meetup 🙂"
        _ = try await connections[3].request(.sendFriendRequest(pending))
        for (index, (from, to, text)) in Self.history.enumerated() {
            var send = WireSendMessage()
            send.toUserID = ids[to]
            send.clientMsgID = "demo-\(index)"
            send.text = text
            _ = try await connections[from].request(.sendMessage(send))
        }
        try await seedGroup(connections: connections, ids: ids)
        for connection in connections { await connection.close() }
        logger.info("demo accounts created", metadata: ["people": "\(Self.people)"])
        return logins
    }
}
