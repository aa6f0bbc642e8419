import Foundation

/// When to try the chat server again after a connection ends: `Backoff`'s growing delays, started
/// afresh after a connection that lasted, but not after one that dropped at once (a server that
/// accepts and closes must not be hammered).
public struct ReconnectSchedule: Sendable {
    public let backoff: Backoff
    /// A connection that lived this long resets the backoff.
    public var stableAfter: TimeInterval = 10
    /// Failed attempts since the last stable connection.
    public private(set) var attempt = 0

    public init(backoff: Backoff) {
        self.backoff = backoff
    }

    /// The wait before the next attempt. `lasted`: how long the connection that just ended was
    /// up (nil if it never came up).
    public mutating func delay(afterConnectionLasted lasted: TimeInterval?) -> TimeInterval {
        if let lasted, lasted > stableAfter { attempt = 0 }
        defer { attempt += 1 }
        return backoff.delay(attempt: attempt)
    }
}
