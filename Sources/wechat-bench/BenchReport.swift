import Foundation
import Histogram
import Synchronization

/// What a run prints with `--json`: one object, the same keys for every scenario.
struct BenchReport: Encodable {
    struct Latency: Encodable {
        var p50: UInt64 = 0
        var p90: UInt64 = 0
        var p99: UInt64 = 0
        var p999: UInt64 = 0
        var max: UInt64 = 0

        init() {}

        init(_ histogram: Histogram<UInt64>) {
            guard histogram.totalCount > 0 else { return }
            p50 = histogram.valueAtPercentile(50)
            p90 = histogram.valueAtPercentile(90)
            p99 = histogram.valueAtPercentile(99)
            p999 = histogram.valueAtPercentile(99.9)
            max = histogram.max
        }
    }

    var scenario: String
    var clients: Int
    var durationSeconds: Double = 0
    var sent: Int = 0
    var received: Int = 0
    var lost: Int = 0
    var duplicated: Int = 0
    var msgsPerSec: Double = 0
    var passwordLoginsPerSec: Double = 0
    var tokenLoginsPerSec: Double = 0
    var latencyUs = Latency()
    var passwordLoginLatencyUs = Latency()
    var tokenLoginLatencyUs = Latency()
    var serverRssKb: Int = 0
    var rssPerConnectionKb: Double = 0
    var notes: [String] = []

    enum CodingKeys: String, CodingKey {
        case scenario, clients, sent, received, lost, duplicated, notes
        case durationSeconds = "duration_s"
        case msgsPerSec = "msgs_per_sec"
        case passwordLoginsPerSec = "password_logins_per_sec"
        case tokenLoginsPerSec = "token_logins_per_sec"
        case latencyUs = "latency_us"
        case passwordLoginLatencyUs = "password_login_latency_us"
        case tokenLoginLatencyUs = "token_login_latency_us"
        case serverRssKb = "server_rss_kb"
        case rssPerConnectionKb = "rss_per_connection_kb"
    }

    func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    func text() -> String {
        var lines = ["scenario \(scenario): \(clients) clients, \(String(format: "%.1f", durationSeconds)) s"]
        if sent > 0 || received > 0 {
            lines.append(
                "  messages: sent \(sent), received \(received), lost \(lost), duplicated \(duplicated), \(Int(msgsPerSec)) delivered/s"
            )
            lines.append(
                "  latency µs: p50 \(latencyUs.p50)  p90 \(latencyUs.p90)  p99 \(latencyUs.p99)  p99.9 \(latencyUs.p999)  max \(latencyUs.max)"
            )
        }
        if passwordLoginsPerSec > 0 {
            lines.append("  password sign-ins: \(Int(passwordLoginsPerSec))/s, p99 \(passwordLoginLatencyUs.p99) µs")
        }
        if tokenLoginsPerSec > 0 {
            lines.append("  token sign-ins: \(Int(tokenLoginsPerSec))/s, p99 \(tokenLoginLatencyUs.p99) µs")
        }
        if serverRssKb > 0 {
            lines.append(
                "  server RSS \(serverRssKb) KiB"
                    + (rssPerConnectionKb > 0 ? String(format: ", %.2f KiB per connection", rssPerConnectionKb) : "")
            )
        }
        lines += notes.map { "  note: \($0)" }
        return lines.joined(separator: "\n")
    }
}

/// A latency histogram many tasks record into.
final class LatencyRecorder: Sendable {
    private let histogram = Mutex(
        Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    )

    func record(microseconds: UInt64) {
        histogram.withLock { _ = $0.record(min(microseconds, 60_000_000)) }
    }

    var snapshot: Histogram<UInt64> {
        histogram.withLock { $0 }
    }
}
