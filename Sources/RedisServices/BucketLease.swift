import ChatServices

/// This process's share of one key's shared token bucket, for answers that cannot wait for Redis.
///
/// The message path asks the rate limiter once per message on a connection's event loop, which
/// must never wait on a network round trip. So each process leases a few tokens at a time from
/// the bucket in Redis and spends them locally. When its share runs out it lets an event through
/// on trust (as a debt) and fetches the next lease in the background, which first pays the debt.
/// The debt is charged to the shared bucket even when that takes it below zero, so every node
/// waits for the refill that pays for it; a node told the bucket is empty refuses locally until
/// Redis says a token will be there.
///
/// What that costs: one process can let at most `limit.burst` events through on trust before
/// Redis has answered (a few hundred microseconds on a LAN), and leased tokens that go unused
/// expire with their lease. With the default message limit (20/s, bursts of 100), a user on
/// three nodes gets at most one extra burst per node, once; a steady flood is held to the shared
/// rate. Pure value: `RedisRateLimiter` guards it with a lock and does the Redis calls.
struct BucketLease: Sendable {
    let limit: RateLimit
    /// Tokens leased and not yet spent, valid until `creditExpiresAtMs`.
    private(set) var credit = 0
    private(set) var creditExpiresAtMs: Int64 = 0
    /// Events let through on trust, not yet charged to the shared bucket.
    private(set) var debt = 0
    /// Refused locally until then (the shared bucket was found empty).
    private(set) var refusedUntilMs: Int64 = 0
    /// A lease is being fetched; its result will go through `settle`.
    private(set) var fetching = false
    /// Leased tokens that expired unspent, to be given back to the shared bucket with the next
    /// fetch: a deep, slow bucket (a daily quota) leases many at a time, and losing each unused
    /// lease would spend the quota hundreds of times faster than it is used.
    private(set) var expiredCredit = 0

    /// How long leased tokens stay valid: a share held longer would be taken from other nodes.
    static let leaseLifetimeMs: Int64 = 1_000

    init(_ limit: RateLimit) {
        self.limit = limit
    }

    /// Tokens asked for on top of the debt: a quarter of a second's worth, at least one, so a
    /// user sending steadily costs Redis a few calls a second, not one per message. A slow,
    /// deep bucket (a daily quota) leases a 256th of its depth instead.
    var leaseSize: Int {
        max(1, Int(min(limit.burst, max(limit.perSecond / 4, limit.burst / 256))))
    }

    /// One event of `cost` tokens. `wait` is nil when allowed, else the seconds to wait; `fetch`
    /// says a lease should be fetched now (the caller then calls `startFetch` and later `settle`).
    mutating func take(_ cost: Int = 1, nowMs: Int64) -> (wait: Double?, fetch: Bool) {
        if nowMs < refusedUntilMs {
            return (Double(refusedUntilMs - nowMs) / 1000, false)
        }
        if nowMs >= creditExpiresAtMs { expire() }
        if credit >= cost {
            credit -= cost
            // Ask for the next share as this one runs out, so the common case never runs on trust.
            return (nil, credit == 0 && !fetching)
        }
        // What the lease does not cover goes on trust, up to a burst.
        let owed = cost - credit
        guard Double(debt + owed) <= limit.burst else {
            // Trust has run out and Redis has not answered yet: a short wait, not a guess.
            return (Double(BucketLease.leaseLifetimeMs) / 10_000, !fetching)
        }
        credit = 0
        debt += owed
        return (nil, !fetching)
    }

    /// Marks a fetch as started and says what to ask Redis for: charge the debt, lease more, and
    /// give back the credit that expired unspent.
    mutating func startFetch() -> (charge: Int, want: Int, giveBack: Int) {
        fetching = true
        defer { expiredCredit = 0 }
        return (debt, debt + leaseSize, expiredCredit)
    }

    private mutating func expire() {
        expiredCredit += credit
        credit = 0
    }

    /// The shared bucket's answer to a fetch that charged `charge` debt: `granted` tokens of the
    /// lease asked for and, when none, `waitMs` until the bucket has one again. The debt is paid
    /// either way (Redis charged it, below zero if need be, so other nodes wait for it too).
    /// Returns whether another fetch is due (debt ran up meanwhile).
    mutating func settle(charge: Int, granted: Int, waitMs: Int64, nowMs: Int64) -> Bool {
        fetching = false
        debt = max(0, debt - charge)
        if granted > 0 {
            if nowMs >= creditExpiresAtMs { expire() }
            credit += granted
            creditExpiresAtMs = nowMs + Self.leaseLifetimeMs
            // Events trusted while the fetch was out are paid from the new lease, not fetched
            // for again (which would also drop the lease when the next answer came).
            let paid = min(debt, credit)
            debt -= paid
            credit -= paid
        } else {
            expire()
            refusedUntilMs = nowMs + max(1, waitMs)
        }
        return debt > 0
    }

    /// A fetch failed (Redis unreachable): the debt is forgiven rather than carried forever.
    mutating func fetchFailed() {
        fetching = false
        debt = 0
    }

    /// Whether forgetting this lease changes nothing (swept when the table grows).
    func isIdle(nowMs: Int64) -> Bool {
        !fetching && debt == 0 && refusedUntilMs <= nowMs && (credit == 0 || creditExpiresAtMs <= nowMs)
    }
}
