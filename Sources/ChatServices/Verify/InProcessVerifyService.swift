import ChatProtocol
import Foundation
import Logging
import Synchronization

/// Codes live in memory: they last minutes, and a restart only means asking for a new one.
public final class InProcessVerifyService: VerifyService {
    private struct Key: Hashable {
        var email: String
        var purpose: CodePurpose
    }

    private struct Entry {
        var code: String
        var expiresAtMs: Int64
        var wrongAttempts = 0
    }

    private let entries = Mutex<[Key: Entry]>([:])
    /// When each address was last mailed, kept apart from the codes: burning or using a code must
    /// not reopen the send window, or the send limit would stop capping guesses.
    private let lastSent = Mutex<[Key: Int64]>([:])
    private let mail: MailSender
    private let policy: VerifyPolicy
    private let clock: WallClock
    private let logger: Logger

    public init(mail: MailSender, policy: VerifyPolicy = VerifyPolicy(), clock: WallClock = .system, logger: Logger) {
        self.mail = mail
        self.policy = policy
        self.clock = clock
        self.logger = logger
    }

    public func sendCode(to email: String, purpose: CodePurpose) async throws {
        try await send(to: email, purpose: purpose, notice: false)
    }

    public func sendNotice(to email: String, purpose: CodePurpose) async throws {
        try await send(to: email, purpose: purpose, notice: true)
    }

    private func send(to email: String, purpose: CodePurpose, notice: Bool) async throws {
        let key = Key(email: AccountRules.normalizedEmail(email), purpose: purpose)
        let now = clock.nowMs()
        let code = Self.randomCode()
        let interval = policy.sendIntervalSeconds * 1000
        try lastSent.withLock { lastSent in
            lastSent = lastSent.filter { $0.value + interval > now }
            if let sent = lastSent[key] {
                throw ChatError.codeSentMomentsAgo(waitMs: sent + interval - now)
            }
            lastSent[key] = now
        }
        if !notice {
            entries.withLock { entries in
                entries = entries.filter { $0.value.expiresAtMs > now }
                entries[key] = Entry(code: code, expiresAtMs: now + policy.codeLifetimeSeconds * 1000)
            }
        }
        do {
            try await mail.send(
                notice
                    ? Self.notice(to: key.email, purpose: purpose)
                    : Self.mail(code: code, to: key.email, purpose: purpose, policy: policy)
            )
        } catch {
            // The code was never delivered: forget it so the user can ask again at once.
            _ = entries.withLock { $0.removeValue(forKey: key) }
            _ = lastSent.withLock { $0.removeValue(forKey: key) }
            logger.error("could not send a verification mail", metadata: ["error": "\(error)"])
            throw ChatError(.unavailable, "The verification mail could not be sent. Please try again.")
        }
        logger.info(
            notice ? "verification notice sent" : "verification code sent",
            metadata: ["email": "\(key.email)", "purpose": "\(purpose.rawValue)"]
        )
    }

    public func consumeCode(_ code: String, email: String, purpose: CodePurpose) async throws {
        let key = Key(email: AccountRules.normalizedEmail(email), purpose: purpose)
        let now = clock.nowMs()
        let invalid = ChatError.wrongOrExpiredCode
        try entries.withLock { entries in
            guard var entry = entries[key], entry.expiresAtMs > now else {
                entries.removeValue(forKey: key)
                throw invalid
            }
            if Self.constantTimeEqual(entry.code, code) {
                entries.removeValue(forKey: key)
                return
            }
            entry.wrongAttempts += 1
            if entry.wrongAttempts >= policy.maxAttempts {
                entries.removeValue(forKey: key)
                logger.warning(
                    "verification code burnt after too many wrong tries",
                    metadata: ["email": "\(key.email)"]
                )
                throw ChatError.codeBurnt
            }
            entries[key] = entry
            throw invalid
        }
    }

    /// The mail that carries a code: one wording for every implementation.
    public static func mail(code: String, to email: String, purpose: CodePurpose, policy: VerifyPolicy) -> Mail {
        let minutes = policy.codeLifetimeSeconds / 60
        let action = purpose == .register ? "finish signing up" : "reset your password"
        return Mail(
            to: email,
            subject: "Your WeChat verification code: \(code)",
            body:
                "Your verification code is \(code). Enter it to \(action). It expires in \(minutes) minutes.\nIf you did not ask for it, ignore this mail."
        )
    }

    /// What `sendNotice` mails: why no code came, and what to do.
    public static func notice(to email: String, purpose: CodePurpose) -> Mail {
        switch purpose {
        case .register:
            Mail(
                to: email,
                subject: "You already have a WeChat account",
                body:
                    "Someone asked to sign up with this address, but it already has an account. If it was you, sign in, or reset your password if you forgot it.\nIf not, ignore this mail."
            )
        case .reset:
            Mail(
                to: email,
                subject: "WeChat password reset: no account uses this address",
                body:
                    "Someone asked to reset the password of an account with this address, but no account uses it. If it was you, perhaps you signed up with another address.\nIf not, ignore this mail."
            )
        }
    }

    /// Six digits from the system CSPRNG, without modulo bias.
    public static func randomCode() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt32.random(in: 0..<1_000_000, using: &generator)
        return String(format: "%06u", value)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
