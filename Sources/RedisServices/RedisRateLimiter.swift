import ChatServices
import Logging
import RedisClient
import Synchronization

/// `RateLimiter` on Redis, for a cluster: one user's messages from devices on every chat node
/// draw from one bucket, and a guesser's failed sign-ins count at every gate.
///
/// Keys, per limited key (`msg:42`, `signin:account:alice`, …):
/// - `limit:bucket:{key}`: a hash of tokens and when they were counted, expiring once full again;
/// - `limit:fail:{key}`: a hash of failures in a row and the lockout's end, expiring when forgotten.
///
/// Each is changed by one Lua script, with the same arithmetic as `TokenBucket` and
/// `FailureBackoff`, so concurrent gates and nodes cannot both take the last token. Times come
/// from the injected clock (tests move it); nodes' clocks agree to NTP's milliseconds.
///
/// `takeWithoutWaiting` answers from a `BucketLease` this process holds per key; see there for
/// what it costs. When Redis cannot be reached the limiter lets events through and says so in
/// the log (at most every few seconds): limits protect the service, and a Redis outage should not
/// also stop everyone from chatting.
public final class RedisRateLimiter: RateLimiter {
    private struct State {
        var leases: [String: BucketLease] = [:]
        var fetches: [String: Task<Void, Never>] = [:]
        var nextSweepAt = RedisRateLimiter.sweepThreshold
        var lastOutageLogMs: Int64?
    }

    static let sweepThreshold = 10_000
    private let redis: RedisConnection
    private let clock: WallClock
    private let logger: Logger
    private let state = Mutex(State())

    public init(redis: RedisConnection, clock: WallClock = .system, logger: Logger) {
        self.redis = redis
        self.clock = clock
        self.logger = logger
    }

    public func take(_ key: String, limit: RateLimit) async -> Double? {
        guard !limit.isUnlimited else { return nil }
        guard let (granted, waitMs) = await takeFromBucket(key, limit: limit, charge: 0, want: 1) else { return nil }
        return granted >= 1 ? nil : Double(waitMs) / 1000
    }

    public func takeWithoutWaiting(_ key: String, limit: RateLimit, cost: Int) -> Double? {
        guard !limit.isUnlimited else { return nil }
        let nowMs = clock.nowMs()
        // One lease per key and limit: a key asked about under two limits keeps two leases
        // rather than one whose fetch settles into the other.
        let leaseKey = "\(key)\u{0}\(limit)"
        return state.withLock { state in
            var lease = state.leases[leaseKey] ?? BucketLease(limit)
            let (wait, fetch) = lease.take(cost, nowMs: nowMs)
            if fetch {
                let order = lease.startFetch()
                startFetch(&state, leaseKey, key, limit: limit, order)
            }
            state.leases[leaseKey] = lease
            Self.sweepIfLarge(&state, nowMs: nowMs)
            return wait
        }
    }

    public func giveBack(_ key: String, limit: RateLimit) async {
        guard !limit.isUnlimited else { return }
        // A negative charge: the script adds the token back, never above the burst.
        _ = await takeFromBucket(key, limit: limit, charge: -1, want: 0)
    }

    /// Waits for the lease fetches under way (tests, and a clean shutdown).
    public func settle() async {
        while let pending = state.withLock({ $0.fetches.first?.value }) {
            await pending.value
        }
    }

    public func lockedOut(_ key: String) async -> Double? {
        let nowMs = clock.nowMs()
        let reply = await call { try await self.redis.send(["HGET", Self.failuresKey(key), "until"]) }
        guard let until = reply?.string.flatMap(Int64.init), until > nowMs else { return nil }
        return Double(until - nowMs) / 1000
    }

    public func recordFailure(_ key: String, backoff: FailureBackoff) async -> Double {
        guard backoff.freeFailures != .max else { return 0 }
        guard let failures = await countFailure(key, backoff: backoff, unlessLockedOut: false), failures > 0 else {
            return 0
        }
        return backoff.lockout(afterFailures: Int(failures))
    }

    public func beginAttempt(_ key: String, backoff: FailureBackoff) async -> Double? {
        guard backoff.freeFailures != .max else { return nil }
        // The script answers a lockout's remaining milliseconds as a negative number.
        guard let answer = await countFailure(key, backoff: backoff, unlessLockedOut: true), answer < 0 else {
            return nil
        }
        return Double(-answer) / 1000
    }

    public func forgiveAttempt(_ key: String) async {
        _ = await call { try await self.redis.send(["EVAL", Self.forgiveScript, "1", Self.failuresKey(key)]) }
    }

    private func countFailure(_ key: String, backoff: FailureBackoff, unlessLockedOut: Bool) async -> Int64? {
        let reply = await call {
            try await self.redis.send([
                "EVAL", Self.failureScript, "1", Self.failuresKey(key), "\(self.clock.nowMs())",
                "\(Int64(backoff.forgetAfterSeconds * 1000))", "\(backoff.freeFailures)",
                "\(Int64(backoff.baseLockoutSeconds * 1000))", "\(Int64(backoff.maxLockoutSeconds * 1000))",
                unlessLockedOut ? "1" : "0",
            ])
        }
        return reply?.integer
    }

    public func clearFailures(_ key: String) async {
        _ = await call { try await self.redis.send(["DEL", Self.failuresKey(key)]) }
    }

    public static func bucketKey(_ key: String) -> String { "limit:bucket:\(key)" }
    public static func failuresKey(_ key: String) -> String { "limit:fail:\(key)" }

    // MARK: Leases

    /// Starts fetching a lease, under the state's lock, so `settle` sees the task as soon as the
    /// lease is marked as fetching.
    private func startFetch(
        _ state: inout State,
        _ leaseKey: String,
        _ key: String,
        limit: RateLimit,
        _ order: (charge: Int, want: Int, giveBack: Int)
    ) {
        let (charge, want, giveBack) = order
        state.fetches[leaseKey] = Task {
            // The expired credit goes back in the same call, as a smaller (or negative) charge.
            let answer = await self.takeFromBucket(key, limit: limit, charge: charge - giveBack, want: want - charge)
            let nowMs = self.clock.nowMs()
            self.state.withLock { state in
                state.fetches.removeValue(forKey: leaseKey)
                guard var lease = state.leases[leaseKey] else { return }
                if let (granted, waitMs) = answer {
                    if lease.settle(charge: charge, granted: granted, waitMs: waitMs, nowMs: nowMs) {
                        self.startFetch(&state, leaseKey, key, limit: limit, lease.startFetch())
                    }
                } else {
                    lease.fetchFailed()
                }
                state.leases[leaseKey] = lease
            }
        }
    }

    /// Charges `charge` tokens already spent, then takes up to `want` more from the shared bucket:
    /// how many were granted and, when none, the milliseconds until one will be. Nil when Redis
    /// failed.
    private func takeFromBucket(_ key: String, limit: RateLimit, charge: Int, want: Int) async -> (Int, Int64)? {
        let reply = await call {
            try await self.redis.send([
                "EVAL", Self.bucketScript, "1", Self.bucketKey(key), "\(limit.perSecond)", "\(limit.burst)",
                "\(self.clock.nowMs())", "\(charge)", "\(want)",
            ])
        }
        guard let values = reply?.array, values.count == 2,
            let granted = values[0].integer, let waitMs = values[1].integer
        else { return nil }
        return (Int(granted), waitMs)
    }

    /// Runs a Redis call; a failure is logged (not too often) and becomes nil: the limit is not
    /// enforced while Redis is away.
    private func call(_ body: () async throws -> RESPValue) async -> RESPValue? {
        do {
            return try await body()
        } catch {
            let nowMs = clock.nowMs()
            let shouldLog = state.withLock { state in
                if let last = state.lastOutageLogMs, nowMs - last < 5_000 { return false }
                state.lastOutageLogMs = nowMs
                return true
            }
            if shouldLog {
                logger.error(
                    "rate limits not enforced: Redis failed",
                    metadata: ["redis": "\(redis.address)", "error": "\(error)"]
                )
            }
            return nil
        }
    }

    private static func sweepIfLarge(_ state: inout State, nowMs: Int64) {
        guard state.leases.count >= state.nextSweepAt else { return }
        state.leases = state.leases.filter { !$0.value.isIdle(nowMs: nowMs) }
        state.nextSweepAt = max(sweepThreshold, 2 * state.leases.count)
    }

    // MARK: Scripts

    /// ARGV: rate per second, burst, now (ms), tokens already spent (a lease's debt), tokens wanted.
    /// Refills, charges the debt even if that leaves the bucket below zero (the events happened;
    /// the refill pays for them before anyone gets more), then grants as many whole tokens as are
    /// there, up to the wanted number. Returns {granted, ms until one token if none was}. The
    /// bucket expires once it would be full again, so idle keys cost Redis nothing.
    static let bucketScript = """
        local rate = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local now = tonumber(ARGV[3])
        local want = tonumber(ARGV[5])
        local saved = redis.call('HMGET', KEYS[1], 't', 'at')
        local tokens = tonumber(saved[1]) or burst
        local at = tonumber(saved[2]) or now
        tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate) - tonumber(ARGV[4])
        -- A negative charge gives tokens back (`giveBack`); a bucket never holds more than its burst.
        tokens = math.min(burst, tokens)
        -- A node whose clock is behind must not move the refill mark back (the gap would refill twice).
        now = math.max(now, at)
        local granted = math.max(0, math.min(want, math.floor(tokens)))
        local wait = 0
        if granted < 1 then
          if rate > 0 then wait = math.ceil((1 - tokens) / rate * 1000) else wait = 3600000 end
        end
        tokens = tokens - granted
        redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', tostring(now))
        if rate > 0 then
          redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
        end
        return {granted, wait}
        """

    /// ARGV: now (ms), forget-after (ms), free failures, first lockout (ms), longest lockout (ms).
    /// Counts one more failure in a row (from zero again after a quiet spell), stores when the
    /// lockout it earns ends (`FailureBackoff.lockout`'s doubling), and returns the count.
    /// ARGV[6] = 1 (`beginAttempt`): while locked out, count nothing and return the remaining
    /// milliseconds as a negative number.
    static let failureScript = """
        local now = tonumber(ARGV[1])
        local forget = tonumber(ARGV[2])
        local free = tonumber(ARGV[3])
        local saved = redis.call('HMGET', KEYS[1], 'n', 'last', 'until')
        local locked = tonumber(saved[3]) or 0
        if ARGV[6] == '1' and locked > now then return now - locked end
        local n = tonumber(saved[1]) or 0
        local last = tonumber(saved[2]) or now
        if now - last > forget then n = 0 end
        n = n + 1
        local lock = 0
        if n >= free then
          lock = math.min(tonumber(ARGV[5]), tonumber(ARGV[4]) * 2 ^ math.min(n - free, 30))
        end
        redis.call('HSET', KEYS[1], 'n', n, 'last', now, 'until', string.format('%d', math.floor(now + lock)))
        redis.call('PEXPIRE', KEYS[1], math.max(forget, math.ceil(lock)))
        return n
        """

    /// One failure in a row fewer, never below zero; a running lockout stays.
    static let forgiveScript = """
        local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
        if n and n > 0 then redis.call('HSET', KEYS[1], 'n', n - 1) end
        return 0
        """
}
