import Foundation
import Synchronization

/// Wall-clock time as the stores keep it: milliseconds since 1970.
///
/// A value that services take, not a global they read, wherever time is policy (code and token
/// expiry, rate limits, frame budgets): tests then move time with a `ManualWallClock` instead of
/// sleeping through it.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    public init(_ read: @escaping @Sendable () -> Int64) {
        self.read = read
    }

    /// The system's clock.
    public static let system = WallClock { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    public func nowMs() -> Int64 { read() }
}

/// A clock that stands still until a test moves it.
public final class ManualWallClock: Sendable {
    private let now: Atomic<Int64>

    public init(nowMs: Int64 = 1_700_000_000_000) {
        now = Atomic(nowMs)
    }

    public var nowMs: Int64 { now.load(ordering: .relaxed) }

    public func advance(byMs milliseconds: Int64) {
        now.add(milliseconds, ordering: .relaxed)
    }

    public var clock: WallClock {
        WallClock { self.nowMs }
    }
}
