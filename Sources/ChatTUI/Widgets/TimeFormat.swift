import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Local-time formatting for message times, by `localtime_r`: cheap enough to run for every
/// visible message on every repaint, unlike a `DateFormatter`.
enum TimeFormat {
    struct Parts: Equatable {
        var year: Int
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
    }

    static func parts(ms: Int64) -> Parts {
        var seconds = time_t(ms / 1000)
        var value = tm()
        localtime_r(&seconds, &value)
        return Parts(
            year: Int(value.tm_year) + 1900,
            month: Int(value.tm_mon) + 1,
            day: Int(value.tm_mday),
            hour: Int(value.tm_hour),
            minute: Int(value.tm_min)
        )
    }

    /// "09:05"
    static func clock(ms: Int64) -> String {
        let p = parts(ms: ms)
        return two(p.hour) + ":" + two(p.minute)
    }

    /// "2026-11-27"
    static func day(ms: Int64) -> String {
        let p = parts(ms: ms)
        return "\(p.year)-\(two(p.month))-\(two(p.day))"
    }

    static func sameDay(_ a: Int64, _ b: Int64) -> Bool {
        let x = parts(ms: a)
        let y = parts(ms: b)
        return x.year == y.year && x.month == y.month && x.day == y.day
    }

    /// For the friend list: the time today, else the date.
    static func short(ms: Int64, now: Date) -> String {
        let nowMs = Int64(now.timeIntervalSince1970 * 1000)
        if sameDay(ms, nowMs) { return clock(ms: ms) }
        let p = parts(ms: ms)
        return "\(two(p.month))-\(two(p.day))"
    }

    private static func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
}
