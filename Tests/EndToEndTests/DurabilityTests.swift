import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Synchronization
import Testing

/// What an acknowledgement promises: the message is committed (fsynced, `synchronous = FULL`)
/// before its ack is written, so killing the server the instant acks arrive loses none of them.
@Suite struct DurabilityTests {
    @Test func acknowledgedMessagesSurviveSIGKILLTheMomentTheAcksArrive() async throws {
        let server = try ServerProcess(arguments: ["--gate-port", "0", "--chat-port", "0", "--no-rate-limits"])
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        let (gateURL, chatPorts) = try await server.ready()
        let gate = GateClient(baseURL: gateURL)
        let mailbox = server.dataDirectory + "/dev-mailbox.txt"
        var tokens: [String] = []
        var ids: [UserID] = []
        for name in ["alice", "bob"] {
            try await ServerProcessTests.register(name, gate: gate, mailbox: mailbox)
            let login = try await gate.login(account: name, password: "correct horse")
            tokens.append(login.token)
            ids.append(login.userId)
        }
        let alice = try await RawClient.connect(token: tokens[0], port: chatPorts[0])
        let bob = try await RawClient.connect(token: tokens[1], port: chatPorts[0])
        var ask = WireSendFriendRequest()
        ask.toUserID = ids[1]
        _ = try await alice.request(.sendFriendRequest(ask))
        var accept = WireRespondFriendRequest()
        accept.fromUserID = ids[0]
        accept.accept = true
        _ = try await bob.request(.respondFriendRequest(accept))

        // Up to 64 messages in flight; the server is killed by the task that sees the 400th ack,
        // with later messages still on their way.
        let bobID = ids[1]
        let run = AckTally()
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<2000 {
                if i >= 64 { await group.next() }
                if run.killed.withLock({ $0 }) { break }
                group.addTask {
                    var send = WireSendMessage()
                    send.toUserID = bobID
                    send.clientMsgID = "m\(i)"
                    send.text = "durable \(i) 持久"
                    guard case .messageAck? = try? await alice.request(.sendMessage(send), timeout: 10) else { return }
                    let count = run.acked.withLock {
                        $0.insert("m\(i)")
                        return $0.count
                    }
                    if count == 400,
                        !run.killed.withLock({
                            let was = $0
                            $0 = true
                            return was
                        })
                    {
                        server.child.send(SIGKILL)
                    }
                }
            }
        }
        #expect(try await server.exitStatus() == 128 + SIGKILL)
        await alice.close()
        await bob.close()
        let ackedIDs = run.acked.withLock { $0 }
        #expect(ackedIDs.count >= 400)

        let restarted = try ServerProcess(
            arguments: ["--gate-port", "0", "--chat-port", "0"],
            dataDirectory: server.dataDirectory
        )
        let (_, ports) = try await restarted.ready()
        let reader = try await RawClient.connect(token: tokens[1], port: ports[0])
        var stored: [String: UInt64] = [:]
        var before: UInt64 = 0
        repeat {
            var fetch = WireFetchHistory()
            fetch.peerID = ids[0]
            fetch.beforeSeq = before
            fetch.limit = 200
            guard case .messageList(let page) = try await reader.request(.fetchHistory(fetch)) else { break }
            for message in page.messages { stored[message.clientMsgID] = message.seq }
            before = page.messages.last?.seq ?? 0
            if page.messages.isEmpty || before <= 1 { break }
        } while true
        let lost = ackedIDs.subtracting(stored.keys)
        print(
            "durability: \(ackedIDs.count) acknowledged before SIGKILL, \(stored.count) stored after restart, \(lost.count) lost"
        )
        #expect(lost.isEmpty, "acknowledged but lost: \(lost.sorted().prefix(10))")
        // The conversation's numbering has no holes: seq 1…n, each once.
        #expect(Set(stored.values) == Set(1...UInt64(stored.count)))
        await reader.close()
        #expect(try await restarted.stop() == 0)
    }
}

/// What the sending tasks share: the ids acknowledged so far, and whether one of them has
/// killed the server. A class, so concurrent tasks share one instance rather than capture a
/// non-copyable `Mutex` by reference.
private final class AckTally: Sendable {
    let acked = Mutex<Set<String>>([])
    let killed = Mutex(false)
}

/// The server's data is its owner's only.
@Suite struct DataPermissionsTests {
    @Test func theDataDirectoryIs0700AndItsFiles0600() async throws {
        try await withTestStack { stack in
            _ = try await stack.user("alice")
            let manager = FileManager.default
            func mode(_ path: String) throws -> Int {
                (try manager.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
            }
            #expect(try mode(stack.directory) == 0o700)
            for name in try manager.contentsOfDirectory(atPath: stack.directory)
            where name.hasPrefix("wechat.sqlite") || name == "dev-mailbox.txt" {
                #expect(try mode(stack.directory + "/" + name) == 0o600, "\(name)")
            }
            #expect(manager.fileExists(atPath: stack.directory + "/wechat.sqlite"))
        }
    }
}
