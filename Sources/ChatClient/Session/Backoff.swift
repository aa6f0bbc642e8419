/// Reconnect delays: exponential from `base`, capped at `cap`, with full jitter between half and
/// all of it, so a thousand clients cut at once do not all come back at the same instant.
public struct Backoff: Sendable {
    public var base: Double = 0.25
    public var cap: Double = 15

    public init(base: Double = 0.25, cap: Double = 15) {
        self.base = base
        self.cap = cap
    }

    public func delay(attempt: Int) -> Double {
        let raw = min(cap, base * Double(1 << min(attempt, 20)))
        return Double.random(in: raw / 2...raw)
    }
}
