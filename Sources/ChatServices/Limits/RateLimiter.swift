import ChatProtocol

/// Counts events per key across the whole service: one user's messages from all their devices,
/// one address's failed sign-ins at any gate. Split across machines this is a shared cache
/// (Redis, with the same bucket arithmetic in a script); in one process it is `InProcessRateLimiter`.
public protocol RateLimiter: Sendable {
    /// Takes one event from `key`'s bucket. Returns nil when allowed, otherwise seconds to wait.
    func take(_ key: String, limit: RateLimit) async -> Double?

    /// `take`, answered without suspending: the message path asks once per message on a
    /// connection's event loop, which must not wait. An implementation over a shared cache
    /// answers from a share of the bucket leased to this process and topped up in the background.
    /// `cost` counts one event as several (a message's size in KiB against a storage quota).
    func takeWithoutWaiting(_ key: String, limit: RateLimit, cost: Int) -> Double?

    /// Returns the token `take` took for an event that then did not happen (a code that could not
    /// be mailed because the verify service was down), so an outage costs nobody their quota.
    func giveBack(_ key: String, limit: RateLimit) async

    /// Seconds `key` is still locked out by earlier failures, or nil if it may try now.
    func lockedOut(_ key: String) async -> Double?
    /// Records a failure; returns how long `key` is now locked out (0 for a free failure).
    func recordFailure(_ key: String, backoff: FailureBackoff) async -> Double
    /// Counts an attempt as a failure *before* the work it guards (a sign-in's bcrypt), in one
    /// step with the lockout check, so attempts made at once cannot all pass the check before
    /// any is counted. Returns the seconds `key` is still locked out (nothing counted), or nil
    /// when the attempt may go on. A success then clears (`clearFailures`) or forgives
    /// (`forgiveAttempt`) it.
    func beginAttempt(_ key: String, backoff: FailureBackoff) async -> Double?
    /// Takes back one attempt `beginAttempt` counted that turned out not to be a failure, leaving
    /// any lockout already running: an office behind one address signing in all day is not a
    /// guesser.
    func forgiveAttempt(_ key: String) async
    /// Forgets `key`'s failures (after a success).
    func clearFailures(_ key: String) async
}

extension RateLimiter {
    /// Throws `rateLimited` with the wait in words when `key` is over `limit`.
    public func enforce(_ key: String, limit: RateLimit, _ what: String) async throws {
        if let wait = await take(key, limit: limit) {
            throw ChatError.rateLimited(what, retryAfter: wait)
        }
    }
}

extension ChatError {
    /// "Too many …; try again in N s", with the wait rounded up to a whole second.
    public static func rateLimited(_ what: String, retryAfter seconds: Double) -> ChatError {
        let wait = retryAfterSeconds(seconds)
        return ChatError(.rateLimited, "\(what) Try again in \(wait) s.", retryAfterSeconds: wait)
    }

    /// The storage quota is used up: what it is, and when there is room again, in words a person
    /// can plan by (a message's worth refills within minutes, a whole day's in a day).
    public static func quotaExceeded(_ quota: RateLimit, retryAfter seconds: Double) -> ChatError {
        let wait = retryAfterSeconds(seconds)
        let size = quota.burst < 1024 ? "\(Int(quota.burst)) KiB" : "\(Int(quota.burst / 1024)) MiB"
        let when = wait < 60 ? "\(wait) s" : wait < 3600 ? "\((wait + 59) / 60) min" : "\((wait + 3599) / 3600) h"
        return ChatError(
            .quotaExceeded,
            "You have used your message storage for now (\(size) a day). Room for this message in \(when).",
            retryAfterSeconds: wait
        )
    }

    static func retryAfterSeconds(_ seconds: Double) -> Int {
        seconds.isFinite ? max(1, Int(seconds.rounded(.up))) : 3600
    }
}

extension RateLimiter {
    /// One event, answered without suspending.
    public func takeWithoutWaiting(_ key: String, limit: RateLimit) -> Double? {
        takeWithoutWaiting(key, limit: limit, cost: 1)
    }
}
