import AsyncHTTPClient
import ChatProtocol
import ChatServices
import Foundation
import StoreTestSupport
import Testing

@testable import ChatClient

/// `wechat-server --tls-cert --tls-key` with a certificate made for the test: HTTPS at the gate,
/// TLS on the chat connection, trusted through `--ca`; untrusting and plain clients get clear errors.
@Suite struct TLSTests {
    @Test func theGateAndTheChatConnectionSpeakTLSToClientsThatTrustTheCertificate() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wechat-tls-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (cert, key) = try TestCertificate.make(in: directory)
        let server = try ServerProcess(arguments: [
            "--gate-port", "0", "--chat-port", "0", "--tls-cert", cert, "--tls-key", key,
        ])
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        let (gateURL, _) = try await server.ready()
        #expect(gateURL.hasPrefix("https://127.0.0.1:"))
        #expect(server.stdout.contains("tls=on"))

        let trusted = ClientTLS(caFile: cert)
        let gate = GateClient(baseURL: gateURL, tls: trusted)
        let mailbox = server.dataDirectory + "/dev-mailbox.txt"
        for name in ["alice", "bob"] {
            let email = "\(name)@example.com"
            try await gate.requestCode(email: email, purpose: .register)
            let code = try #require(DevMailbox.latestCode(for: email, inMailboxAt: mailbox))
            _ = try await gate.register(username: name, email: email, password: "correct horse", code: code)
        }
        var sessions: [ChatSession] = []
        for name in ["alice", "bob"] {
            let session = try await ChatSession.signIn(
                gateURL: gateURL,
                account: name,
                password: "correct horse",
                cachePath: directory + "/\(name).sqlite",
                tls: trusted,
                logger: RawClient.quietLogger
            )
            #expect(session.credentials.chatServer.tls, "the gate tells clients the chat server speaks TLS")
            await session.start()
            try await withTimeout { await session.waitUntilConnected() }
            sessions.append(session)
        }
        let (alice, bob) = (sessions[0], sessions[1])
        let aliceID = await alice.state.me.id
        let bobID = await bob.state.me.id
        try await alice.sendFriendRequest(to: bobID, message: "加密的你好")
        try await eventually { await bob.state.incomingRequests.count == 1 }
        try await bob.respondToFriendRequest(from: aliceID, accept: true)
        try await alice.send("over TLS 🔒 加密", to: bobID)
        try await eventually { await bob.state.conversations[aliceID]?.lastMessage?.text == "over TLS 🔒 加密" }

        // A client that does not trust the certificate is told so, at the gate and at the chat server.
        let untrusting = GateClient(baseURL: gateURL, timeout: .seconds(3))
        do {
            _ = try await untrusting.health()
            Issue.record("an untrusting client reached the gate")
        } catch let error as ChatError {
            #expect(error.message.contains("not trusted"), "\(error.message)")
        }
        let chatPort = alice.credentials.chatServer.port
        do {
            _ = try await ChatConnection.connect(
                host: "127.0.0.1",
                port: chatPort,
                tls: try ClientTLS().makeContext(),
                logger: RawClient.quietLogger
            )
            Issue.record("an untrusting client connected")
        } catch let error as ChatError {
            #expect(error.message.contains("not trusted"), "\(error.message)")
        }
        // Plain TCP to the TLS port gets nothing it can use, and the server carries on.
        let plain = try await ChatConnection.connect(host: "127.0.0.1", port: chatPort, logger: RawClient.quietLogger)
        await #expect(throws: ChatError.self) { _ = try await plain.request(.ping(WirePing()), timeout: 3) }
        await plain.close()
        try await alice.send("still fine", to: bobID)
        try await eventually { await bob.state.conversations[aliceID]?.lastMessage?.text == "still fine" }

        for session in sessions { await session.stop() }
        #expect(try await server.stop() == 0)
    }

    @Test func anUnreadableCertificateIsAClearStartupError() async throws {
        let server = try ServerProcess(arguments: [
            "--gate-port", "0", "--chat-port", "0",
            "--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem",
        ])
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        #expect(try await server.exitStatus(timeout: 20) == 2)
        #expect(
            server.stderr.contains("/nonexistent/cert.pem cannot be read as a PEM certificate chain"),
            "\(server.stderr)"
        )
    }
}
