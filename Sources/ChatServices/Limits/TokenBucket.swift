/// One token bucket: the arithmetic behind `RateLimit`, for a single key. Not thread-safe by
/// itself; the limiter (or the one connection owning it) guards it.
public struct TokenBucket: Sendable {
    public let limit: RateLimit
    private var tokens: Double
    private var updatedAtMs: Int64

    public init(_ limit: RateLimit, nowMs: Int64) {
        self.limit = limit
        self.tokens = limit.burst
        self.updatedAtMs = nowMs
    }

    /// Takes `cost` tokens if there are enough. Returns nil when allowed, otherwise the seconds
    /// until there will be.
    public mutating func take(_ cost: Double = 1, nowMs: Int64) -> Double? {
        guard !limit.isUnlimited else { return nil }
        refill(nowMs: nowMs)
        if tokens >= cost {
            tokens -= cost
            return nil
        }
        return limit.perSecond > 0 ? (cost - tokens) / limit.perSecond : .infinity
    }

    /// Puts back `cost` tokens taken for an event that then did not happen.
    public mutating func giveBack(_ cost: Double = 1, nowMs: Int64) {
        refill(nowMs: nowMs)
        tokens = min(limit.burst, tokens + cost)
    }

    /// Whether the bucket has refilled completely (it can be forgotten without changing anything).
    public func isFull(nowMs: Int64) -> Bool {
        var copy = self
        copy.refill(nowMs: nowMs)
        return copy.tokens >= limit.burst
    }

    private mutating func refill(nowMs: Int64) {
        let elapsed = Double(max(0, nowMs - updatedAtMs)) / 1000
        tokens = min(limit.burst, tokens + elapsed * limit.perSecond)
        updatedAtMs = nowMs
    }
}
