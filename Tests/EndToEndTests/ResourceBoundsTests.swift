import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The server's memory and descriptors stay bounded whatever clients do: a connection cap, and
/// a bounded send queue that drops a client which stops reading.
@Suite struct ResourceBoundsTests {
    @Test func connectionsPastTheMaximumAreToldTheServerIsFull() async throws {
        try await withTestStack(maxConnections: 3) { stack in
            let port = stack.chatPorts[0]
            var open: [ChatConnection] = []
            for _ in 0..<3 {
                open.append(
                    try await ChatConnection.connect(host: "127.0.0.1", port: port, logger: RawClient.quietLogger)
                )
            }
            let refused = try await ChatConnection.connect(host: "127.0.0.1", port: port, logger: RawClient.quietLogger)
            try await withTimeout { for await _ in refused.pushes {} }
            let reason = await refused.closeReason
            #expect(reason?.code == .unavailable)
            #expect(reason?.message == "The server is full. Please try again shortly.")

            // A place frees up when someone leaves.
            await open.removeFirst().close()
            let alice = try await stack.user("alice")
            #expect(await alice.state.connection.isConnected)
            await alice.stop()
            for connection in open { await connection.close() }
        }
    }

    /// A client that says hello and then never reads, while its friend sends it 40 MB: the server
    /// drops it once its send queue is full instead of buffering, its memory stays flat, and the
    /// messages are all there for the next connection.
    @Test(.tags(.slow)) func aClientThatStopsReadingCannotGrowTheServersMemory() async throws {
        // SQLite's default page cache (2 MiB) for the writer, not the server's 32: the cache is
        // bounded on its own, and this measures the send queue, which would grow by 40 MB.
        let server = try ServerProcess(arguments: [
            "--gate-port", "0", "--chat-port", "0", "--no-rate-limits", "--log-level", "info",
            "--db-cache-mib", "2",
        ])
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        let (gateURL, chatPorts) = try await server.ready()
        let gate = GateClient(baseURL: gateURL)
        let mailbox = server.dataDirectory + "/dev-mailbox.txt"
        try await ServerProcessTests.register("alice", gate: gate, mailbox: mailbox)
        try await ServerProcessTests.register("bob", gate: gate, mailbox: mailbox)
        let alice = try await ChatSession.signIn(
            gateURL: gateURL,
            account: "alice",
            password: "correct horse",
            cachePath: server.dataDirectory + "/alice.sqlite",
            logger: RawClient.quietLogger
        )
        let bob = try await ChatSession.signIn(
            gateURL: gateURL,
            account: "bob",
            password: "correct horse",
            cachePath: server.dataDirectory + "/bob.sqlite",
            logger: RawClient.quietLogger
        )
        for session in [alice, bob] {
            await session.start()
            try await withTimeout { await session.waitUntilConnected() }
        }
        let aliceID = await alice.state.me.id
        let bobID = await bob.state.me.id
        try await alice.sendFriendRequest(to: bobID, message: "hi")
        try await eventually { await bob.state.incomingRequests.count == 1 }
        try await bob.respondToFriendRequest(from: aliceID, accept: true)
        await bob.stop()

        let stalled = try await StalledClient.connect(port: chatPorts[0], token: bob.credentials.token)
        let sender = try await ChatConnection.connect(
            host: "127.0.0.1",
            port: chatPorts[0],
            logger: RawClient.quietLogger
        )
        var hello = WireHello()
        hello.protocolVersion = ProtocolLimits.protocolVersion
        hello.token = alice.credentials.token
        _ = try await sender.request(.hello(hello))

        let text = String(repeating: "slow reader ", count: 1333)  // 15,996 bytes
        let count = 2500
        try await Self.send(count, text: text, to: bobID, on: sender, id: "warmup", upTo: 200)
        let before = try #require(Self.residentKiB(server.child.pid))
        try await Self.send(count, text: text, to: bobID, on: sender, id: "flood")
        let after = try #require(Self.residentKiB(server.child.pid))
        let grownMiB = Double(after - before) / 1024
        let pushedMB = count * text.utf8.count / 1_000_000
        print(
            "slow reader: pushed \(pushedMB) MB at a client that does not read; server RSS \(before / 1024) → \(after / 1024) MiB"
        )
        // Unbounded, the queue alone would hold all 40 MB. What growth there is, is SQLite's page
        // cache and the allocator, the same with or without the stalled client.
        #expect(grownMiB < 20, "the server's memory grew by \(grownMiB) MiB")
        #expect(server.stderr.contains("closing a connection that stopped reading"))

        // Nothing was lost: bob's next connection sees every message.
        let reader = try await RawClient.connect(token: bob.credentials.token, port: chatPorts[0])
        guard case .conversationList(let list) = try await reader.request(.listConversations(WireListConversations()))
        else {
            Issue.record("no conversation list")
            return
        }
        #expect(list.conversations.first { $0.peerID == aliceID }?.lastSeq == UInt64(count + 200))
        await reader.close()
        await sender.close()
        stalled.channel.close(promise: nil)
        await alice.stop()
        #expect(try await server.stop() == 0)
    }

    /// Sends `count` messages (or `upTo`) with up to 64 waiting for their acks at once.
    static func send(
        _ count: Int,
        text: String,
        to peer: UserID,
        on connection: ChatConnection,
        id: String,
        upTo: Int? = nil
    ) async throws {
        let total = upTo ?? count
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<total {
                if i >= 64 { try await group.next() }
                group.addTask {
                    var send = WireSendMessage()
                    send.toUserID = peer
                    send.clientMsgID = "\(id)-\(i)"
                    send.text = text
                    _ = try await connection.request(.sendMessage(send), timeout: 30)
                }
            }
            try await group.waitForAll()
        }
    }

    static func residentKiB(_ pid: pid_t) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") }
    }
}

/// A raw TCP client that sends Hello and then never reads a byte (reading is switched off, and its
/// receive buffer is tiny), so the server's writes to it pile up.
struct StalledClient {
    let channel: Channel

    static func connect(port: Int, token: String) async throws -> StalledClient {
        let channel = try await ClientBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 4096)
            .connect(host: "127.0.0.1", port: port).get()
        var hello = WireHello()
        hello.protocolVersion = ProtocolLimits.protocolVersion
        hello.token = token
        hello.deviceID = "stalled"
        try await channel.writeAndFlush(
            try WireEnvelope.reply(to: 1, .hello(hello)).framed(allocator: channel.allocator)
        )
        return StalledClient(channel: channel)
    }
}
