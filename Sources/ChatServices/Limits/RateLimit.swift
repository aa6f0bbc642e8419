/// How often something may happen per key: a token bucket holding up to `burst` tokens that
/// refills at `perSecond`. "20 per second, bursts of 100" and "100 per day" are both buckets.
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public var perSecond: Double
    public var burst: Double

    public init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    public static func per(_ seconds: Double, _ count: Double) -> RateLimit {
        RateLimit(perSecond: count / seconds, burst: count)
    }

    /// Never refuses; what `--no-rate-limits` and the benchmarks use.
    public static let unlimited = RateLimit(perSecond: .infinity, burst: .infinity)

    public var isUnlimited: Bool { perSecond.isInfinite || burst.isInfinite }

    public var description: String {
        isUnlimited ? "unlimited" : "\(perSecond)/s (burst \(burst))"
    }
}

/// Repeated failures lock a key out for a time that doubles with each failure past the free ones:
/// a person who mistypes a password a few times never notices, a guesser soon waits minutes.
public struct FailureBackoff: Sendable, Equatable {
    /// Failures allowed before any waiting.
    public var freeFailures: Int
    /// The first lockout; each later failure doubles it, up to `maxLockoutSeconds`.
    public var baseLockoutSeconds: Double
    public var maxLockoutSeconds: Double
    /// Quiet this long and the failures are forgotten.
    public var forgetAfterSeconds: Double

    public init(
        freeFailures: Int,
        baseLockoutSeconds: Double = 1,
        maxLockoutSeconds: Double = 900,
        forgetAfterSeconds: Double = 3600
    ) {
        self.freeFailures = freeFailures
        self.baseLockoutSeconds = baseLockoutSeconds
        self.maxLockoutSeconds = maxLockoutSeconds
        self.forgetAfterSeconds = forgetAfterSeconds
    }

    public static let never = FailureBackoff(freeFailures: .max)

    /// How long to lock out after the `failures`-th failure in a row.
    public func lockout(afterFailures failures: Int) -> Double {
        guard failures >= freeFailures else { return 0 }
        let doublings = min(failures - freeFailures, 30)
        return min(maxLockoutSeconds, baseLockoutSeconds * Double(1 << doublings))
    }
}
