import ChatProtocol
import ChatServices
import Foundation
import SQLiteStores
import StoreTestSupport
import Testing

/// Sign-in under attack, through the real account service on real stores and real bcrypt at
/// the default cost: guesses are counted before bcrypt runs, and bcrypt is shared fairly, so
/// one address flooding cannot hold back anyone else's sign-in.
@Suite struct SignInFloodTests {
    struct World {
        let accounts: InProcessAccountService
        let mail: InProcessAccountServiceTests.CapturedMail

        func register(_ username: String) async throws {
            try await accounts.sendCode(email: "\(username)@example.com", purpose: .register, client: "registrar")
            _ = try await accounts.register(
                username: username,
                email: "\(username)@example.com",
                password: "correct horse",
                code: try #require(mail.lastCode)
            )
        }

        /// The answer's error code, nil for a sign-in that worked.
        func signIn(_ account: String, _ password: String, from client: String) async -> ErrorCode? {
            do {
                _ = try await accounts.signIn(account: account, password: password, client: client)
                return nil
            } catch let error as ChatError {
                return error.code
            } catch {
                return .internalError
            }
        }
    }

    static func withWorld(_ body: (World) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            let database = try TestDatabase(in: directory)
            let status = InProcessStatusService(sessions: database.sessions, logger: .quiet)
            await status.registerChatServer(ChatServerInfo(id: "chat-1", host: "127.0.0.1", port: 1))
            let mail = InProcessAccountServiceTests.CapturedMail()
            var limits = RateLimitPolicy()
            limits.codeSendsPerAddress = .unlimited
            // The same rule (five free failures, then a lockout), but a first lockout no slow
            // machine outlasts between two guesses: at 1 s a loaded CI run let the sixth one-at-a-
            // time guess through.
            limits.signInFailuresPerAccount.baseLockoutSeconds = 60
            let accounts = InProcessAccountService(
                users: database.users,
                verify: InProcessVerifyService(mail: mail, logger: .quiet),
                status: status,
                hasher: PasswordHasher(cost: 10),
                limits: limits,
                sessions: InProcessAccountServiceTests.RecordingSessionControl(),
                logger: .quiet
            )
            try await body(World(accounts: accounts, mail: mail))
        }
    }

    /// 60 guesses at once, from 60 addresses, the right password among them: only the account's
    /// free failures reach bcrypt; the rest are refused at once, the right password too if it
    /// comes after them.
    @Test func concurrentGuessesBeyondTheBudgetAreRefusedAtOnce() async throws {
        try await Self.withWorld { world in
            try await world.register("alice")
            let answers = await withTaskGroup(of: ErrorCode?.self) { group in
                for index in 0..<60 {
                    group.addTask {
                        await world.signIn(
                            "alice",
                            index == 40 ? "correct horse" : "guess \(index)",
                            from: "10.0.0.\(index)"
                        )
                    }
                }
                return await group.reduce(into: [ErrorCode?]()) { $0.append($1) }
            }
            let ran = answers.filter { $0 != .rateLimited }.count
            #expect(
                ran <= RateLimitPolicy().signInFailuresPerAccount.freeFailures + 1,
                "\(ran) of 60 guesses ran bcrypt"
            )
            // One at a time, on a fresh account, by username and by email in turn: the account has
            // one budget, so the sixth guess is refused (with a budget per typed string, as
            // before, it ran).
            try await world.register("carol")
            var oneAtATime: [ErrorCode?] = []
            for index in 0..<6 {
                let account = index.isMultiple(of: 2) ? "carol@example.com" : "CAROL"
                oneAtATime.append(await world.signIn(account, "guess", from: "10.9.9.\(index)"))
            }
            let expected: [ErrorCode?] =
                Array(repeating: ErrorCode.invalidCredentials, count: 5) + [ErrorCode.rateLimited]
            #expect(oneAtATime == expected)
        }
    }

    /// An office behind one address: its typos count towards the address's budget, its
    /// successful sign-ins do not, so a busy day does not lock everyone out.
    @Test func successfulSignInsDoNotSpendTheAddressesBudget() async throws {
        try await Self.withWorld { world in
            try await world.register("dan")
            let office = "10.7.7.7"
            for index in 0..<(RateLimitPolicy().signInFailuresPerAddress.freeFailures - 1) {
                #expect(await world.signIn("typo\(index)", "guess", from: office) == .invalidCredentials)
            }
            for _ in 0..<10 {
                #expect(await world.signIn("dan", "correct horse", from: office) == nil)
            }
        }
    }

    /// One address sends 180 sign-ins at once, each for another account; meanwhile someone else
    /// signs in from another address, and is answered about as fast as on a quiet server.
    @Test func oneAddressFloodingCannotHoldBackAnothersSignIn() async throws {
        try await Self.withWorld { world in
            try await world.register("bob")
            let quietStart = ContinuousClock.now
            #expect(await world.signIn("bob", "correct horse", from: "10.0.0.1") == nil)
            let quiet = ContinuousClock.now - quietStart

            let flood = Task {
                await withTaskGroup(of: ErrorCode?.self) { group in
                    for index in 0..<180 {
                        group.addTask { await world.signIn("ghost\(index)", "guess", from: "10.6.6.6") }
                    }
                    return await group.reduce(into: [ErrorCode?]()) { $0.append($1) }
                }
            }
            try await Task.sleep(for: .milliseconds(100))
            let start = ContinuousClock.now
            #expect(await world.signIn("bob", "correct horse", from: "10.0.0.1") == nil)
            let underFlood = ContinuousClock.now - start
            let answers = await flood.value
            let ran = answers.filter { $0 != .rateLimited }.count
            print(
                "sign-in under a one-address flood: quiet \(quiet), during the flood \(underFlood); \(ran) of 180 ran bcrypt"
            )
            #expect(underFlood < .seconds(5), "an unrelated sign-in took \(underFlood) during the flood")
            #expect(ran <= 40, "\(ran) of the flood's 180 sign-ins ran bcrypt")
        }
    }
}
