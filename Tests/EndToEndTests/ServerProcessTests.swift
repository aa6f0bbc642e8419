import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import StoreTestSupport
import Testing

/// `wechat-server` as a user runs it: a separate process, its options, its errors, its signals.
@Suite struct ServerProcessTests {
    static func register(_ username: String, gate: GateClient, mailbox: String) async throws {
        let email = "\(username)@example.com"
        try await gate.requestCode(email: email, purpose: .register)
        let code = try #require(DevMailbox.latestCode(for: email, inMailboxAt: mailbox))
        _ = try await gate.register(username: username, email: email, password: "correct horse", code: code)
    }

    @Test func twoChatServersShareLoadAndAShutdownLosesNothing() async throws {
        let server = try ServerProcess(arguments: [
            "--gate-port", "0", "--chat-port", "0", "--chat-servers", "2", "--bcrypt-cost", "10",
        ])
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        let (gateURL, chatPorts) = try await server.ready()
        #expect(chatPorts.count == 2)
        let gate = GateClient(baseURL: gateURL)
        let mailbox = server.dataDirectory + "/dev-mailbox.txt"

        var sessions: [ChatSession] = []
        for name in ["ann", "ben", "cat", "dan"] {
            try await Self.register(name, gate: gate, mailbox: mailbox)
            let session = try await ChatSession.signIn(
                gateURL: gateURL,
                account: name,
                password: "correct horse",
                cachePath: server.dataDirectory + "/clients/\(name).sqlite",
                logger: RawClient.quietLogger
            )
            await session.start()
            try await withTimeout { await session.waitUntilConnected() }
            sessions.append(session)
        }
        #expect(Set(sessions.map { $0.credentials.chatServer.port }) == Set(chatPorts))

        let ann = sessions[0]
        let other = try #require(sessions.first { $0.credentials.chatServer.port != ann.credentials.chatServer.port })
        let annID = await ann.state.me.id
        let otherID = await other.state.me.id
        try await ann.sendFriendRequest(to: otherID, message: "你好")
        try await eventually { await other.state.incomingRequests.count == 1 }
        try await other.respondToFriendRequest(from: annID, accept: true)
        try await eventually { await ann.state.friends[otherID] != nil }
        for i in 1...20 { try await ann.send("消息 \(i) 🚀", to: otherID) }
        try await eventually { await ann.state.outbox.isEmpty }
        try await eventually { await other.state.conversations[annID]?.lastSeq == 20 }

        // SIGTERM: a clean exit.
        #expect(try await server.stop() == 0)
        #expect(server.stderr.contains("stopped cleanly"))
        #expect(!server.stderr.contains("correct horse"), "a password appeared in the log")

        // The clients notice, and reconnect on their own when the server is back on the same data.
        try await eventually { !(await ann.state.connection.isConnected) }
        let restarted = try ServerProcess(
            arguments: ["--gate-port", "\(URL(string: gateURL)!.port!)", "--chat-port", "0", "--chat-servers", "2"],
            dataDirectory: server.dataDirectory
        )
        _ = try await restarted.ready()
        try await eventually(20) { await ann.state.connection.isConnected }
        try await ann.send("after the restart", to: otherID)
        try await eventually(20) { await other.state.conversations[annID]?.lastMessage?.text == "after the restart" }
        let history = try await other.history(with: annID, limit: 100)
        #expect(history.map(\.seq) == Array((1...21).reversed()))
        for session in sessions { await session.stop() }
        #expect(try await restarted.stop(signal: SIGINT) == 0)
    }

    /// A device id or account name holding an escape sequence and a newline must not colour the
    /// operator's terminal, write to its clipboard, or forge a log line of its own.
    @Test func stringsFromClientsCannotForgeOrColourLogLines() async throws {
        let server = try ServerProcess(arguments: [
            "--gate-port", "0", "--chat-port", "0", "--bcrypt-cost", "10", "--log-level", "info",
        ])
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        let (gateURL, chatPorts) = try await server.ready()
        let gate = GateClient(baseURL: gateURL)
        try await Self.register("eve", gate: gate, mailbox: server.dataDirectory + "/dev-mailbox.txt")
        let login = try await gate.login(account: "eve", password: "correct horse")
        let forged = "\n2026-01-01T00:00:00+0000 critical wechat-server: FORGED"
        let connection = try await ChatConnection.connect(
            host: "127.0.0.1",
            port: chatPorts[0],
            logger: RawClient.quietLogger
        )
        var hello = WireHello()
        hello.protocolVersion = ProtocolLimits.protocolVersion
        hello.token = login.token
        hello.deviceID = "phone\u{1B}]52;c;ZXZpbA==\u{07}\u{9B}31m" + forged
        _ = try? await connection.request(.hello(hello))
        await connection.close()
        _ = try? await gate.login(account: "eve\u{1B}[31m" + forged, password: "wrong password")
        try await eventually(30) { server.stderr.contains("session ended") }
        #expect(try await server.stop() == 0)
        let log = server.stderr
        #expect(!log.unicodeScalars.contains { $0 == "\u{1B}" || $0 == "\u{07}" || $0 == "\u{9B}" })
        for line in log.split(separator: "\n") where line.contains("FORGED") {
            #expect(!line.hasPrefix("2026-01-01"), "a forged line: \(line)")
        }
        #expect(log.contains(#"device=phone\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}31m\u{a}2026-01-01"#), "logged, escaped")
    }

    @Test func verificationMailGoesThroughSMTPWhenConfigured() async throws {
        let sink = try await SMTPSink(.init(credentials: ("mailer", "mail pass")))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "mail pass\n".write(toFile: directory + "/password", atomically: true, encoding: .utf8)
        let server = try ServerProcess(arguments: [
            "--gate-port", "0", "--chat-port", "0", "--smtp-host", "127.0.0.1", "--smtp-port", "\(sink.port)",
            "--smtp-security", "none", "--smtp-user", "mailer", "--smtp-password-file", directory + "/password",
            "--smtp-from", "codes@wechat.test",
        ])
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        let (gateURL, _) = try await server.ready()
        #expect(server.stdout.contains("smtp=127.0.0.1:\(sink.port)"))
        let gate = GateClient(baseURL: gateURL)
        try await gate.requestCode(email: "Erin@Example.com", purpose: .register)
        let mail = try #require(sink.mails.first)
        #expect(mail.from == "codes@wechat.test")
        #expect(mail.recipients == ["erin@example.com"])
        let subject = try #require(mail.data.components(separatedBy: "\r\n").first { $0.hasPrefix("Subject: ") })
        let code = String(subject.suffix(6))
        #expect(code.count == 6 && code.allSatisfy { $0.isNumber })
        _ = try await gate.register(username: "erin", email: "erin@example.com", password: "correct horse", code: code)
        // Nothing went to the dev mailbox, and no password reached the log.
        #expect(!FileManager.default.fileExists(atPath: server.dataDirectory + "/dev-mailbox.txt"))
        #expect(!server.stderr.contains("mail pass") && !server.stderr.contains("correct horse"))
        #expect(try await server.stop() == 0)
        await sink.close()
    }

    @Test func badSMTPSettingsAreAClearStartupError() async throws {
        let server = try ServerProcess(arguments: [
            "--gate-port", "0", "--chat-port", "0", "--smtp-host", "127.0.0.1", "--smtp-security", "maybe",
            "--smtp-from", "codes@wechat.test",
        ])
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        #expect(try await server.exitStatus() != 0)
        #expect(server.stderr.contains("--smtp-security takes starttls, tls or none."))
    }

    @Test func aPortInUseIsAClearError() async throws {
        let first = try ServerProcess(arguments: ["--gate-port", "0", "--chat-port", "0"])
        defer { try? FileManager.default.removeItem(atPath: first.dataDirectory) }
        let (gateURL, _) = try await first.ready()
        let port = URL(string: gateURL)!.port!
        let second = try ServerProcess(arguments: ["--gate-port", "\(port)", "--chat-port", "0"])
        defer { try? FileManager.default.removeItem(atPath: second.dataDirectory) }
        let status = try await second.exitStatus(timeout: 20)
        #expect(status == 2)
        #expect(second.stderr.contains("already in use"), "stderr: \(second.stderr)")
        #expect(try await first.stop() == 0)
    }

    @Test func anUnwritableDataDirectoryIsAClearError() async throws {
        let server = try ServerProcess(arguments: [
            "--gate-port", "0", "--chat-port", "0", "--data-dir", "/proc/wechat-cannot-write-here",
        ])
        #expect(try await server.exitStatus() == 2)
        #expect(server.stderr.contains("cannot be created or written"), "stderr: \(server.stderr)")
    }

    @Test func badOptionsAreRefused() async throws {
        let server = try ServerProcess(arguments: ["--chat-servers", "0"])
        defer { try? FileManager.default.removeItem(atPath: server.dataDirectory) }
        #expect(try await server.exitStatus() != 0)
        #expect(server.stderr.contains("--chat-servers"))
    }
}
