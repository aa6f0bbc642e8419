import ChatProtocol
import ChatServices
import Logging
import RedisClient

/// `VerifyService` on Redis, for a cluster: the codes live where every gate and verify process
/// sees them, and expire by themselves (a key's TTL is the code's lifetime).
///
/// Keys, per normalised email and purpose:
/// - `verify:code:{purpose}:{email}`: a hash of the code and its wrong tries, expiring with it;
/// - `verify:sent:{purpose}:{email}`: present while the send interval runs (`SET NX PX`).
///
/// Checking a code is one Lua script, so two gates checking at once cannot both spend one code or
/// both miss the limit on wrong tries.
public final class RedisVerifyService: VerifyService {
    private let redis: RedisConnection
    private let mail: MailSender
    private let policy: VerifyPolicy
    private let logger: Logger

    public init(redis: RedisConnection, mail: MailSender, policy: VerifyPolicy = VerifyPolicy(), logger: Logger) {
        self.redis = redis
        self.mail = mail
        self.policy = policy
        self.logger = logger
    }

    public func sendCode(to email: String, purpose: CodePurpose) async throws {
        try await send(to: email, purpose: purpose, notice: false)
    }

    public func sendNotice(to email: String, purpose: CodePurpose) async throws {
        try await send(to: email, purpose: purpose, notice: true)
    }

    private func send(to email: String, purpose: CodePurpose, notice: Bool) async throws {
        let email = AccountRules.normalizedEmail(email)
        let (codeKey, sentKey) = Self.keys(email, purpose)
        let intervalMs = max(1, policy.sendIntervalSeconds * 1000)
        try await unavailableIfDown {
            if try await redis.send(["SET", sentKey, "1", "NX", "PX", "\(intervalMs)"]).isNull {
                let waitMs = try await redis.send(["PTTL", sentKey]).integer ?? intervalMs
                throw ChatError.codeSentMomentsAgo(waitMs: waitMs)
            }
        }
        let code = InProcessVerifyService.randomCode()
        if !notice {
            _ = try await unavailableIfDown {
                try await redis.send([
                    "EVAL", Self.storeScript, "1", codeKey, code, "\(max(1, policy.codeLifetimeSeconds * 1000))",
                ])
            }
        }
        do {
            try await mail.send(
                notice
                    ? InProcessVerifyService.notice(to: email, purpose: purpose)
                    : InProcessVerifyService.mail(code: code, to: email, purpose: purpose, policy: policy)
            )
        } catch {
            // The code was never delivered: forget it so the user can ask again at once.
            _ = try? await redis.send(["DEL", codeKey, sentKey])
            logger.error("could not send a verification mail", metadata: ["error": "\(error)"])
            throw ChatError(.unavailable, "The verification mail could not be sent. Please try again.")
        }
        logger.info(
            notice ? "verification notice sent" : "verification code sent",
            metadata: ["email": "\(email)", "purpose": "\(purpose.rawValue)"]
        )
    }

    public func consumeCode(_ code: String, email: String, purpose: CodePurpose) async throws {
        let email = AccountRules.normalizedEmail(email)
        let (codeKey, _) = Self.keys(email, purpose)
        let outcome = try await unavailableIfDown {
            try await redis.send(["EVAL", Self.consumeScript, "1", codeKey, code, "\(policy.maxAttempts)"]).integer
        }
        switch outcome {
        case 1:
            return
        case -1:
            logger.warning("verification code burnt after too many wrong tries", metadata: ["email": "\(email)"])
            throw ChatError.codeBurnt
        default:
            throw ChatError.wrongOrExpiredCode
        }
    }

    /// The keys of one address's code and send window (`email` normalised).
    public static func keys(_ email: String, _ purpose: CodePurpose) -> (code: String, sent: String) {
        ("verify:code:\(purpose.rawValue):\(email)", "verify:sent:\(purpose.rawValue):\(email)")
    }

    /// A new code replaces the old one, with no wrong tries, for its lifetime.
    static let storeScript = """
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'code', ARGV[1], 'wrong', 0)
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
        return 1
        """

    /// 1: the code was right and is spent. 0: wrong, missing or expired. -1: wrong once too often,
    /// and now gone. The comparison looks at every byte, whatever the first difference.
    static let consumeScript = """
        local code = redis.call('HGET', KEYS[1], 'code')
        if not code then return 0 end
        local given = ARGV[1]
        local differ = (#code ~= #given) and 1 or 0
        for i = 1, math.min(#code, #given) do
          if code:byte(i) ~= given:byte(i) then differ = 1 end
        end
        if differ == 0 then
          redis.call('DEL', KEYS[1])
          return 1
        end
        local wrong = redis.call('HINCRBY', KEYS[1], 'wrong', 1)
        if wrong >= tonumber(ARGV[2]) then
          redis.call('DEL', KEYS[1])
          return -1
        end
        return 0
        """

    /// Redis down is the service down for now: `unavailable`, said plainly, and logged.
    private func unavailableIfDown<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RedisError {
            logger.error("Redis failed", metadata: ["redis": "\(redis.address)", "error": "\(error)"])
            throw ChatError(.unavailable, "Verification codes are unavailable right now. Please try again shortly.")
        }
    }
}
