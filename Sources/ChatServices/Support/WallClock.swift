import Foundation

/// Wall-clock time as the stores keep it: milliseconds since 1970.
public enum WallClock {
    public static func nowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }
}
