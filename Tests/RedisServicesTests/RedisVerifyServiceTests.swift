import ChatProtocol
import ChatServices
import RedisClient
import RedisServices
import RedisTestSupport
import StoreTestSupport
import Synchronization
import Testing

/// Codes on a real `redis-server`: the same rules as the in-process service, kept where every
/// process of a cluster sees them.
@Suite struct RedisVerifyServiceTests {
    final class CapturedMail: MailSender {
        let sent = Mutex<[Mail]>([])
        let failing = Atomic(false)
        func send(_ mail: Mail) async throws {
            if failing.load(ordering: .relaxed) { throw RedisError.unavailable("the mail server is down") }
            sent.withLock { $0.append(mail) }
        }
        func lastCode(to email: String) -> String? {
            sent.withLock { $0.last { $0.to == email }.map { String($0.subject.suffix(6)) } }
        }
    }

    static func service(
        _ server: RedisServer,
        policy: VerifyPolicy = VerifyPolicy()
    ) -> (RedisVerifyService, CapturedMail, RedisConnection) {
        let mail = CapturedMail()
        let redis = server.connection()
        return (RedisVerifyService(redis: redis, mail: mail, policy: policy, logger: .quiet), mail, redis)
    }

    @Test func aCodeWorksOnceAndOnlyForItsPurpose() async throws {
        try await RedisServer.with { server async throws in
            let (verify, mail, redis) = Self.service(server)
            try await verify.sendCode(to: "Alice@Example.com", purpose: .register)
            let code = try #require(mail.lastCode(to: "alice@example.com"))
            await #expect(throws: ChatError.self) {
                try await verify.consumeCode(code, email: "alice@example.com", purpose: .reset)
            }
            try await verify.consumeCode(code, email: "ALICE@example.com", purpose: .register)
            let again = await #expect(throws: ChatError.self) {
                try await verify.consumeCode(code, email: "alice@example.com", purpose: .register)
            }
            #expect(again?.code == .invalidCode)
            await redis.close()
        }
    }

    @Test func wrongTriesBurnTheCode() async throws {
        var policy = VerifyPolicy()
        policy.maxAttempts = 3
        try await RedisServer.with { server async throws in
            let (verify, mail, redis) = Self.service(server, policy: policy)
            try await verify.sendCode(to: "bob@example.com", purpose: .register)
            let code = try #require(mail.lastCode(to: "bob@example.com"))
            let wrong = code == "000000" ? "111111" : "000000"
            var codes: [ErrorCode?] = []
            for _ in 0..<3 {
                do { try await verify.consumeCode(wrong, email: "bob@example.com", purpose: .register) } catch {
                    codes.append((error as? ChatError)?.code)
                }
            }
            #expect(codes == [.invalidCode, .invalidCode, .tooManyAttempts])
            // Burnt: the right code no longer works.
            await #expect(throws: ChatError.self) {
                try await verify.consumeCode(code, email: "bob@example.com", purpose: .register)
            }
            await redis.close()
        }
    }

    @Test func oneMailPerIntervalAndAddress() async throws {
        try await RedisServer.with { server async throws in
            let (verify, mail, redis) = Self.service(server)
            try await verify.sendCode(to: "carol@example.com", purpose: .register)
            let error = await #expect(throws: ChatError.self) {
                try await verify.sendCode(to: "carol@example.com", purpose: .register)
            }
            #expect(error?.code == .rateLimited)
            // The send window's own TTL says how long: at most the interval, 60 s.
            let wait = error?.message.split(separator: " ").dropLast().last.flatMap { Int($0) }
            #expect(wait.map { (1...60).contains($0) } == true, "\(String(describing: error?.message))")
            try await verify.sendCode(to: "carol@example.com", purpose: .reset)
            try await verify.sendCode(to: "dave@example.com", purpose: .register)
            #expect(mail.sent.withLock { $0.count } == 3)
            await redis.close()
        }
    }

    @Test func aCodeExpiresWithItsKey() async throws {
        try await RedisServer.with { server async throws in
            let (verify, mail, redis) = Self.service(server)
            try await verify.sendCode(to: "erin@example.com", purpose: .register)
            let code = try #require(mail.lastCode(to: "erin@example.com"))
            let key = RedisVerifyService.keys("erin@example.com", .register).code
            let ttl = try await redis.send(["PTTL", key]).integer ?? 0
            #expect(ttl > 290_000 && ttl <= 300_000, "lives the policy's five minutes")
            // Expire it now, as the TTL would.
            try await redis.send(["PEXPIRE", key, "1"])
            try await Task.sleep(for: .milliseconds(20))
            await #expect(throws: ChatError.self) {
                try await verify.consumeCode(code, email: "erin@example.com", purpose: .register)
            }
            await redis.close()
        }
    }

    @Test func aMailThatCannotBeSentLeavesNoCodeAndNoWait() async throws {
        try await RedisServer.with { server async throws in
            let (verify, mail, redis) = Self.service(server)
            mail.failing.store(true, ordering: .relaxed)
            let error = await #expect(throws: ChatError.self) {
                try await verify.sendCode(to: "frank@example.com", purpose: .register)
            }
            #expect(error?.code == .unavailable)
            mail.failing.store(false, ordering: .relaxed)
            try await verify.sendCode(to: "frank@example.com", purpose: .register)
            #expect(mail.lastCode(to: "frank@example.com") != nil)
            await redis.close()
        }
    }

    @Test func redisDownIsUnavailableNotAHang() async throws {
        let server = try await RedisServer.start()
        let (verify, _, redis) = Self.service(server)
        server.stop()
        let error = await #expect(throws: ChatError.self) {
            try await verify.sendCode(to: "grace@example.com", purpose: .register)
        }
        #expect(error?.code == .unavailable)
        await redis.close()
    }
}
