import Foundation
import Testing

/// `wechat-bench` itself, run the way README → Performance runs it (`--spawn`, `--json`) with
/// small numbers: each scenario starts its own `wechat-server`, stops by itself, and reports what
/// it measured, with nothing lost. The figures are the benchmark's business; these tests keep
/// the tool that produces them working.
struct LoadGeneratorTests {
    @Test func saturateDeliversEveryMessageOnce() async throws {
        let report = try await Self.run(["saturate", "--clients", "4", "--window", "4", "--duration", "1"])
        let sent = try #require(report["sent"] as? Int)
        #expect(sent > 0)
        #expect(report["received"] as? Int == sent)
        #expect(report["lost"] as? Int == 0)
        #expect(report["duplicated"] as? Int == 0)
        #expect((report["msgs_per_sec"] as? Double ?? 0) > 0)
        #expect(Self.latency(report, "latency_us", "p50") > 0)
        #expect((report["server_rss_kb"] as? Int ?? 0) > 0)
    }

    @Test func fixedSendsOnScheduleAndLosesNothing() async throws {
        let report = try await Self.run(["fixed", "--clients", "4", "--rate", "20", "--duration", "1"])
        // 4 clients × 20/s × 1 s: every client's schedule is fixed from one start.
        let sent = try #require(report["sent"] as? Int)
        #expect(sent == 80)
        #expect(report["received"] as? Int == sent)
        #expect(report["lost"] as? Int == 0)
        #expect(Self.latency(report, "latency_us", "max") > 0)
    }

    @Test func groupDeliversEveryMessageToEveryOtherMember() async throws {
        let report = try await Self.run([
            "group", "--groups", "2", "--members", "3", "--interval", "0.5", "--duration", "1",
        ])
        // 6 members × 2 messages each; every message reaches the 2 other members of its group.
        #expect(report["sent"] as? Int == 12)
        #expect(report["received"] as? Int == 24)
        #expect(report["lost"] as? Int == 0)
        #expect(report["duplicated"] as? Int == 0)
        #expect(Self.latency(report, "latency_us", "max") > 0)
    }

    @Test func loginCountsPasswordAndTokenSignIns() async throws {
        let report = try await Self.run(["login", "--clients", "2", "--parallelism", "1", "--duration", "1"])
        #expect((report["password_logins_per_sec"] as? Double ?? 0) > 0)
        #expect((report["token_logins_per_sec"] as? Double ?? 0) > 0)
        #expect(Self.latency(report, "token_login_latency_us", "p50") > 0)
        #expect(Self.latency(report, "password_login_latency_us", "p50") > 0)
    }

    @Test func connectionsReadsTheServersMemoryWithThemOpen() async throws {
        let report = try await Self.run(["connections", "--clients", "10", "--duration", "1"])
        #expect((report["server_rss_kb"] as? Int ?? 0) > 0)
        let notes = report["notes"] as? [String] ?? []
        #expect(notes.contains { $0.hasPrefix("server RSS ") })
    }

    /// Runs the bench built beside the test bundle and returns its JSON report.
    private static func run(_ arguments: [String], timeout: Double = 180) async throws -> [String: Any] {
        let bench = (ServerProcess.binaryPath as NSString).deletingLastPathComponent + "/wechat-bench"
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wechat-bench-test-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: logs) }
        let child = try ChildProcess(
            path: bench,
            arguments: arguments + ["--spawn", "--json"],
            stdoutPath: logs + "/stdout",
            stderrPath: logs + "/stderr"
        )
        let deadline = Date().addingTimeInterval(timeout)
        while child.isRunning && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let stderr = (try? String(contentsOfFile: logs + "/stderr", encoding: .utf8)) ?? ""
        guard let status = child.exitStatus else {
            killWithChildren(child.pid)  // the bench's own wechat-server too
            _ = child.exitStatus
            throw TimedOut(
                description: "wechat-bench \(arguments.joined(separator: " ")) ran past \(timeout) s: \(stderr)"
            )
        }
        #expect(status == 0, "wechat-bench failed: \(stderr)")
        let stdout = try String(contentsOfFile: logs + "/stdout", encoding: .utf8)
        let line = try #require(stdout.split(separator: "\n").last, "no report: \(stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }

    /// SIGKILLs `pid` and the processes it started (a killed bench cannot stop its server).
    private static func killWithChildren(_ pid: pid_t) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let child = pid_t(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let afterName = stat.range(of: ") ", options: .backwards)
            else { continue }
            // Fields after "(comm) ": state, then the parent's pid.
            let fields = stat[afterName.upperBound...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == pid { kill(child, SIGKILL) }
        }
        kill(pid, SIGKILL)
    }

    private static func latency(_ report: [String: Any], _ key: String, _ percentile: String) -> Int {
        (report[key] as? [String: Any])?[percentile] as? Int ?? 0
    }
}
