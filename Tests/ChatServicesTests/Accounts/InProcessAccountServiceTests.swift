import ChatProtocol
import ChatServices
import SQLiteStores
import StoreTestSupport
import Testing

/// The account service through its seams: real stores and services, and doubles only for what
/// lies outside this process once the stack is split (the mail server, the chat servers'
/// sessions). That the doubles compile here, without `ServerStack`, is the point of the seams.
@Suite struct InProcessAccountServiceTests {
    /// Keeps what would have been mailed.
    final class CapturedMail: MailSender {
        let sent = Locked<[Mail]>([])
        func send(_ mail: Mail) async throws { sent.withLock { $0.append(mail) } }
        var lastCode: String? { sent.value.last.map { String($0.subject.suffix(6)) } }
    }

    /// Remembers whom it was asked to disconnect, where a split stack would tell every chat node.
    final class RecordingSessionControl: SessionControl {
        let disconnected = Locked<[(UserID, ErrorCode)]>([])
        func disconnectEverywhere(_ order: DisconnectOrder) async {
            disconnected.withLock { $0.append((order.user, order.reason.code)) }
        }
    }

    @Test func aPasswordResetRevokesEveryTokenAndDisconnectsTheUserEverywhere() async throws {
        try await withTemporaryDirectory { directory in
            let database = try TestDatabase(in: directory)
            let status = InProcessStatusService(sessions: database.sessions, logger: .quiet)
            await status.registerChatServer(ChatServerInfo(id: "chat-1", host: "127.0.0.1", port: 1))
            let mail = CapturedMail()
            let sessions = RecordingSessionControl()
            let accounts = InProcessAccountService(
                users: database.users,
                verify: InProcessVerifyService(mail: mail, logger: .quiet),
                status: status,
                hasher: PasswordHasher(cost: 4),
                limits: .unlimited,
                sessions: sessions,
                logger: .quiet
            )
            try await accounts.sendCode(email: "alice@example.com", purpose: .register, client: "test")
            let alice = try await accounts.register(
                username: "alice",
                email: "alice@example.com",
                password: "correct horse",
                code: try #require(mail.lastCode)
            )
            let signedIn = try await accounts.signIn(account: "alice", password: "correct horse", client: "test")
            #expect(signedIn.userID == alice && signedIn.chatServer.id == "chat-1")
            #expect(try await accounts.chatServer(forToken: signedIn.token.token, client: "test").user == alice)

            try await accounts.sendCode(email: "alice@example.com", purpose: .reset, client: "test")
            try await accounts.resetPassword(
                email: "alice@example.com",
                code: try #require(mail.lastCode),
                newPassword: "battery staple"
            )
            #expect(sessions.disconnected.value.map(\.0) == [alice])
            #expect(sessions.disconnected.value.map(\.1) == [.invalidToken])
            await #expect(throws: ChatError.self) { try await status.authenticate(token: signedIn.token.token) }
            await #expect(throws: ChatError.self) {
                try await accounts.signIn(account: "alice", password: "correct horse", client: "test")
            }
            _ = try await accounts.signIn(account: "alice", password: "battery staple", client: "test")
        }
    }
}
