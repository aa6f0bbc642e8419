import Synchronization

/// `RateLimiter` in memory. Buckets that have refilled completely and failure records that have
/// expired are swept as the table grows, so a flood of distinct keys cannot grow it without bound.
public final class InProcessRateLimiter: RateLimiter {
    private struct Failures {
        var count: Int
        var lastMs: Int64
        var lockedUntilMs: Int64
        var forgetAfterMs: Int64
    }

    private struct State {
        var buckets: [String: TokenBucket] = [:]
        var failures: [String: Failures] = [:]
        var nextSweepAt = InProcessRateLimiter.sweepThreshold
    }

    static let sweepThreshold = 10_000
    private let state = Mutex(State())
    private let clock: WallClock

    /// Tests pass a `ManualWallClock`'s clock.
    public init(clock: WallClock = .system) {
        self.clock = clock
    }

    public func take(_ key: String, limit: RateLimit) async -> Double? {
        takeWithoutWaiting(key, limit: limit)
    }

    public func takeWithoutWaiting(_ key: String, limit: RateLimit, cost: Int) -> Double? {
        guard !limit.isUnlimited else { return nil }
        let nowMs = clock.nowMs()
        return state.withLock { state in
            var bucket = state.buckets[key] ?? TokenBucket(limit, nowMs: nowMs)
            if bucket.limit != limit { bucket = TokenBucket(limit, nowMs: nowMs) }
            let wait = bucket.take(Double(cost), nowMs: nowMs)
            state.buckets[key] = bucket
            Self.sweepIfLarge(&state, nowMs: nowMs)
            return wait
        }
    }

    public func giveBack(_ key: String, limit: RateLimit) async {
        let nowMs = clock.nowMs()
        state.withLock { state in
            guard state.buckets[key]?.limit == limit else { return }
            state.buckets[key]?.giveBack(nowMs: nowMs)
        }
    }

    public func lockedOut(_ key: String) async -> Double? {
        let nowMs = clock.nowMs()
        return state.withLock { state in
            guard let record = state.failures[key], record.lockedUntilMs > nowMs else { return nil }
            return Double(record.lockedUntilMs - nowMs) / 1000
        }
    }

    public func recordFailure(_ key: String, backoff: FailureBackoff) async -> Double {
        guard backoff.freeFailures != .max else { return 0 }
        let nowMs = clock.nowMs()
        return state.withLock { Self.record(key, backoff: backoff, nowMs: nowMs, in: &$0) }
    }

    public func beginAttempt(_ key: String, backoff: FailureBackoff) async -> Double? {
        guard backoff.freeFailures != .max else { return nil }
        let nowMs = clock.nowMs()
        return state.withLock { state in
            if let record = state.failures[key], record.lockedUntilMs > nowMs {
                return Double(record.lockedUntilMs - nowMs) / 1000
            }
            _ = Self.record(key, backoff: backoff, nowMs: nowMs, in: &state)
            return nil
        }
    }

    public func forgiveAttempt(_ key: String) async {
        state.withLock { state in
            guard let count = state.failures[key]?.count, count > 0 else { return }
            state.failures[key]?.count = count - 1
        }
    }

    /// Counts one more failure in a row and sets the lockout it earns; returns the lockout.
    private static func record(_ key: String, backoff: FailureBackoff, nowMs: Int64, in state: inout State) -> Double {
        var record = state.failures[key] ?? Failures(count: 0, lastMs: nowMs, lockedUntilMs: 0, forgetAfterMs: 0)
        if nowMs - record.lastMs > Int64(backoff.forgetAfterSeconds * 1000) { record.count = 0 }
        record.count += 1
        record.lastMs = nowMs
        let lockout = backoff.lockout(afterFailures: record.count)
        record.lockedUntilMs = nowMs + Int64(lockout * 1000)
        record.forgetAfterMs = Int64(backoff.forgetAfterSeconds * 1000)
        state.failures[key] = record
        sweepIfLarge(&state, nowMs: nowMs)
        return lockout
    }

    public func clearFailures(_ key: String) async {
        _ = state.withLock { $0.failures.removeValue(forKey: key) }
    }

    /// How many keys are tracked (tests check that sweeping bounds it).
    public var trackedKeys: Int {
        state.withLock { $0.buckets.count + $0.failures.count }
    }

    private static func sweepIfLarge(_ state: inout State, nowMs: Int64) {
        guard state.buckets.count + state.failures.count >= state.nextSweepAt else { return }
        state.buckets = state.buckets.filter { !$0.value.isFull(nowMs: nowMs) }
        state.failures = state.failures.filter {
            nowMs - $0.value.lastMs <= $0.value.forgetAfterMs || $0.value.lockedUntilMs > nowMs
        }
        // Sweep again only once the table has doubled from what survived: amortised O(1).
        state.nextSweepAt = max(sweepThreshold, 2 * (state.buckets.count + state.failures.count))
    }
}
