import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Logging
import Synchronization

/// A signed-in benchmark user with one open chat connection.
struct BenchUser: Sendable {
    var id: Int64
    var username: String
    var token: String
    var chatServer: GateAPI.ChatServerAddress
    var connection: ChatConnection
}

/// Creates users through the gate (codes from the dev mailbox), signs them in and connects them.
struct BenchUsers {
    let server: BenchServer
    let logger: Logger
    static let password = "bench-password"

    /// `count` new users, registered `parallelism` at a time (each is mostly one bcrypt hash).
    func register(count: Int, prefix: String, parallelism: Int = 8) async throws -> [String] {
        let gate = GateClient(baseURL: server.gateURL)
        let names = (0..<count).map { "\(prefix)\($0)" }
        try await forEach(names, parallelism: parallelism) { name in
            let email = "\(name)@bench.local"
            try await gate.requestCode(email: email, purpose: .register)
            guard let code = DevMailbox.latestCode(for: email, inMailboxAt: server.mailboxPath) else {
                throw ChatError(.internalError, "No code in \(server.mailboxPath): is --mailbox right?")
            }
            _ = try await gate.register(username: name, email: email, password: Self.password, code: code)
        }
        return names
    }

    /// Signs each in with the password, then connects them all and says hello. Sign-ins come
    /// first (they are slow: bcrypt), so no connection sits idle long enough to be evicted; four
    /// at a time, as many as the gate checks at once for one address (`PasswordCheckQueue`).
    func connect(_ names: [String], parallelism: Int = 4) async throws -> [BenchUser] {
        let gate = GateClient(baseURL: server.gateURL)
        let logins = BenchBox<[Int: GateAPI.LoginResponse]>([:])
        try await forEach(Array(names.enumerated()), parallelism: parallelism) { index, name in
            let login = try await gate.login(account: name, password: Self.password)
            logins.mutate { $0[index] = login }
        }
        let users = BenchBox<[Int: BenchUser]>([:])
        let logger = logger
        try await forEach(logins.value.map { ($0.key, $0.value) }, parallelism: 64) { index, login in
            let connection = try await Self.open(token: login.token, at: login.chatServer, logger: logger)
            users.mutate {
                $0[index] = BenchUser(
                    id: login.userId,
                    username: login.username,
                    token: login.token,
                    chatServer: login.chatServer,
                    connection: connection
                )
            }
        }
        return users.value.sorted { $0.key < $1.key }.map(\.value)
    }

    /// A connection that has said hello with `token`.
    static func open(
        token: String,
        at address: GateAPI.ChatServerAddress,
        logger: Logger
    ) async throws -> ChatConnection {
        let connection = try await ChatConnection.connect(host: address.host, port: address.port, logger: logger)
        guard case .helloOk = try await connection.request(.hello(hello(token: token)), timeout: 30) else {
            throw ChatError(.malformedFrame, "No HelloOk")
        }
        return connection
    }

    /// Every simulated client's Hello: this protocol version, device "bench".
    static func hello(token: String) -> WireHello {
        var hello = WireHello()
        hello.protocolVersion = ProtocolLimits.protocolVersion
        hello.token = token
        hello.deviceID = "bench"
        return hello
    }

    /// Makes users (0,1), (2,3), … friends.
    func pairUp(_ users: [BenchUser]) async throws {
        try await befriend(stride(from: 0, to: users.count - 1, by: 2).map { (users[$0], users[$0 + 1]) })
    }

    /// Makes each group's first user its owner, with the others as members; a group is made of
    /// its owner's friends, so they befriend the owner first. Returns the groups' ids, in order.
    func formGroups(_ groups: [[BenchUser]]) async throws -> [Int64] {
        try await befriend(groups.flatMap { members in members.dropFirst().map { (members[0], $0) } })
        let ids = BenchBox<[Int: Int64]>([:])
        try await forEach(Array(groups.enumerated()), parallelism: 8) { index, members in
            var request = WireCreateGroup()
            request.name = "bench \(index)"
            request.memberIds = members.dropFirst().map(\.id)
            guard case .groupInfo(let info) = try await members[0].connection.request(.createGroup(request)) else {
                throw ChatError(.malformedFrame, "No GroupInfo")
            }
            ids.mutate { $0[index] = info.group.id }
        }
        let byIndex = ids.value
        return groups.indices.map { byIndex[$0]! }
    }

    /// Makes each pair friends: the first asks, the second accepts.
    private func befriend(_ pairs: [(BenchUser, BenchUser)]) async throws {
        try await forEach(pairs, parallelism: 16) { a, b in
            var request = WireSendFriendRequest()
            request.toUserID = b.id
            _ = try await a.connection.request(.sendFriendRequest(request))
            var accept = WireRespondFriendRequest()
            accept.fromUserID = a.id
            accept.accept = true
            _ = try await b.connection.request(.respondFriendRequest(accept))
        }
    }
}

/// Runs `body` for every item, at most `parallelism` at once.
func forEach<T: Sendable>(
    _ items: [T],
    parallelism: Int,
    _ body: @escaping @Sendable (T) async throws -> Void
) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        var next = 0
        for _ in 0..<min(parallelism, items.count) {
            let item = items[next]
            next += 1
            group.addTask { try await body(item) }
        }
        while try await group.next() != nil {
            if next < items.count {
                let item = items[next]
                next += 1
                group.addTask { try await body(item) }
            }
        }
    }
}

/// A value several tasks update.
final class BenchBox<T: Sendable>: Sendable {
    private let stored: Mutex<T>

    init(_ value: T) { stored = Mutex(value) }

    var value: T {
        stored.withLock { $0 }
    }

    func mutate<R>(_ body: (inout T) -> R) -> R {
        stored.withLock { body(&$0) }
    }
}
