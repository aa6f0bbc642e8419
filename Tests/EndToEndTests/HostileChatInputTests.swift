import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Testing

/// Bad input on the chat protocol: each gets a clear error, and the server keeps serving others.
@Suite struct HostileChatInputTests {
    /// A signed-in pair whose conversation must keep working through every attack.
    struct Bystanders {
        let alice: ChatSession
        let bob: ChatSession

        func stillChatting(_ text: String) async throws {
            let aliceID = await alice.state.me.id
            try await bob.send(text, to: aliceID)
            let bobID = await bob.state.me.id
            try await eventually { await alice.state.conversations[bobID]?.lastMessage?.text == text }
        }

        func stop() async {
            await alice.stop()
            await bob.stop()
        }
    }

    static func bystanders(_ stack: TestStack) async throws -> Bystanders {
        let (alice, bob, _, _) = try await stack.friends()
        return Bystanders(alice: alice, bob: bob)
    }

    /// Connects without Hello, sends `bytes`, and returns the error the server closed with.
    static func closeReason(after bytes: [UInt8], stack: TestStack) async throws -> ChatError? {
        let connection = try await ChatConnection.connect(
            host: "127.0.0.1",
            port: stack.chatPorts[0],
            logger: RawClient.quietLogger
        )
        try await connection.sendRaw(bytes)
        try await withTimeout { for await _ in connection.pushes {} }
        return await connection.closeReason
    }

    @Test func oversizedFrameIsRefusedBeforeItIsBuffered() async throws {
        try await withTestStack { stack in
            let others = try await Self.bystanders(stack)
            // Announce 100 MB, send only the header: the server must not wait for (or buffer) the body.
            let reason = try await Self.closeReason(after: [0x06, 0x00, 0x00, 0x00], stack: stack)
            #expect(reason?.code == .frameTooLarge)
            try await others.stillChatting("still here after a huge frame")
            await others.stop()
        }
    }

    @Test func garbageBytesCloseOnlyThatConnection() async throws {
        try await withTestStack { stack in
            let others = try await Self.bystanders(stack)
            let garbage: [UInt8] = [0, 0, 0, 8, 0xFF, 0xFE, 0xFD, 0xFC, 0x80, 0x81, 0x82, 0x83]
            #expect(try await Self.closeReason(after: garbage, stack: stack)?.code == .malformedFrame)
            // A string field with invalid UTF-8 (Hello.token = C3 28) is malformed too.
            let badUTF8: [UInt8] = [0, 0, 0, 6, 0x52, 0x04, 0x12, 0x02, 0xC3, 0x28]
            #expect(try await Self.closeReason(after: badUTF8, stack: stack)?.code == .malformedFrame)
            try await others.stillChatting("still here after garbage")
            await others.stop()
        }
    }

    @Test func nothingIsServedBeforeHello() async throws {
        try await withTestStack { stack in
            let others = try await Self.bystanders(stack)
            let connection = try await ChatConnection.connect(
                host: "127.0.0.1",
                port: stack.chatPorts[0],
                logger: RawClient.quietLogger
            )
            var search = WireSearchUsers()
            search.query = "alice"
            do {
                _ = try await connection.request(.searchUsers(search))
                Issue.record("a request before Hello was served")
            } catch let error as ChatError {
                #expect(error.code == .helloRequired)
            }
            try await others.stillChatting("still here after a frame before hello")
            await others.stop()
        }
    }

    @Test func wrongExpiredAndMissingTokensAreRefused() async throws {
        let time = ManualWallClock()
        try await withTestStack(tokenLifetimeSeconds: 1, clock: time.clock) { stack in
            for token in ["", "not-a-token", String(repeating: "x", count: 5000), "'; DROP TABLE sessions; --"] {
                let error = try await RawClient.connectExpectingRefusal(stack: stack, token: token)
                #expect(error.code == .invalidToken)
            }
            try await stack.register("alice")
            let login = try await stack.gate.login(account: "alice", password: "correct horse")
            let connection = try await RawClient.connect(stack: stack, token: login.token)
            await connection.close()
            time.advance(byMs: 1001)
            let expired = try await RawClient.connectExpectingRefusal(stack: stack, token: login.token)
            #expect(expired.code == .invalidToken)
        }
    }

    @Test func wrongProtocolVersionIsRefused() async throws {
        try await withTestStack { stack in
            try await stack.register("alice")
            let login = try await stack.gate.login(account: "alice", password: "correct horse")
            let connection = try await ChatConnection.connect(
                host: "127.0.0.1",
                port: stack.chatPorts[0],
                logger: RawClient.quietLogger
            )
            var hello = WireHello()
            hello.protocolVersion = 999
            hello.token = login.token
            await #expect(
                throws: ChatError(
                    .unsupportedVersion,
                    "This server speaks protocol version \(ProtocolLimits.protocolVersion); please update the client."
                )
            ) {
                _ = try await connection.request(.hello(hello))
            }
        }
    }

    @Test func badMessagesGetClearErrorsAndTheConnectionStaysUsable() async throws {
        try await withTestStack { stack in
            let others = try await Self.bystanders(stack)
            let bobID = await others.bob.state.me.id
            let connection = try await RawClient.connect(stack: stack, token: others.alice.credentials.token)

            func refusal(_ text: String, clientID: String = UUID().uuidString, to: Int64? = nil) async -> ErrorCode? {
                var send = WireSendMessage()
                send.toUserID = to ?? bobID
                send.clientMsgID = clientID
                send.text = text
                do {
                    _ = try await connection.request(.sendMessage(send))
                    return nil
                } catch let error as ChatError {
                    return error.code
                } catch {
                    return .internalError
                }
            }
            #expect(
                await refusal(String(repeating: "字", count: ProtocolLimits.maxTextBytes / 3 + 1)) == .payloadTooLarge
            )
            #expect(await refusal("bell \u{07} and escape \u{1B}[2J") == .invalidText)
            // C1 controls, bidi overrides and isolates, and invisible characters (README, "Limits").
            for hostile in [
                "csi \u{9B}2J", "osc \u{9D}52;c;x", "evil\u{202E}txt.exe", "\u{2066}isolated\u{2069}",
                "zero\u{200B}width", "bom\u{FEFF}", "line\u{2028}separator",
            ] {
                #expect(
                    await refusal(hostile) == .invalidText,
                    "\(hostile.unicodeScalars.map { String($0.value, radix: 16) })"
                )
            }
            // What real scripts and emoji need stays allowed: ZWJ sequences, ZWNJ, RTL text.
            #expect(await refusal("👩‍👩‍👧 می‌خواهم שלום مرحبا") == nil)
            #expect(await refusal("   ") == .invalidText)
            #expect(await refusal("no id", clientID: "") == .badRequest)
            #expect(await refusal("long id", clientID: String(repeating: "i", count: 65)) == .badRequest)
            #expect(await refusal("to myself", to: await others.alice.state.me.id) == .notFriends)
            #expect(await refusal("to nobody", to: 987_654) == .notFriends)
            // A hostile-looking text that is valid is stored and returned literally.
            let literal = "'); DROP TABLE messages; -- %s %n {{7*7}} <script>"
            #expect(await refusal(literal) == nil)
            let aliceID = await others.alice.state.me.id
            try await eventually { await others.bob.state.conversations[aliceID]?.lastMessage?.text == literal }

            // Requests the client may not send.
            var hello = WireHello()
            hello.token = others.alice.credentials.token
            await #expect(throws: ChatError.self) { _ = try await connection.request(.hello(hello)) }
            await #expect(throws: ChatError.self) { _ = try await connection.request(.ok(WireOk())) }
            var search = WireSearchUsers()
            search.query = ""
            await #expect(throws: ChatError.self) { _ = try await connection.request(.searchUsers(search)) }

            // After all that, the same connection still works.
            guard case .pong = try await connection.request(.ping(WirePing())) else {
                Issue.record("no pong")
                return
            }
            try await others.stillChatting("still here after bad messages")
            await connection.close()
            await others.stop()
        }
    }

    /// A preview is one line, bounded in bytes whatever the text: one grapheme can hold thousands
    /// of combining marks, and a list of such previews would otherwise outgrow a frame.
    @Test func previewsAreBoundedInBytesNotOnlyInCharacters() async throws {
        try await withTestStack { stack in
            let (alice, _, aliceID, bobID) = try await stack.friends()
            let bomb = "e" + String(repeating: "\u{301}", count: 8_000)
            #expect(bomb.count == 1)
            try await alice.send(bomb, to: bobID)
            try await eventually { await alice.state.outbox.isEmpty }
            let connection = try await RawClient.connect(stack: stack, token: alice.credentials.token)
            guard
                case .conversationList(let list) = try await connection.request(
                    .listConversations(WireListConversations())
                )
            else {
                Issue.record("no conversation list")
                return
            }
            let preview = try #require(list.conversations.first?.lastMessage.text)
            #expect(preview.utf8.count <= ProtocolLimits.previewBytes, "\(preview.utf8.count) bytes")
            #expect(preview.unicodeScalars.starts(with: "e\u{301}".unicodeScalars))
            _ = aliceID
            await connection.close()
        }
    }

    @Test func silentConnectionsAreClosed() async throws {
        try await withTestStack(idleTimeoutSeconds: 1, helloTimeoutSeconds: 1) { stack in
            try await stack.register("alice")
            let login = try await stack.gate.login(account: "alice", password: "correct horse")

            // Never says hello.
            let mute = try await ChatConnection.connect(
                host: "127.0.0.1",
                port: stack.chatPorts[0],
                logger: RawClient.quietLogger
            )
            try await withTimeout(15) { for await _ in mute.pushes {} }

            // Says hello, then nothing: closed with idle_timeout.
            let idle = try await RawClient.connect(stack: stack, token: login.token)
            try await withTimeout(15) { for await _ in idle.pushes {} }
            #expect(await idle.closeReason?.code == .idleTimeout)
        }
    }
}
