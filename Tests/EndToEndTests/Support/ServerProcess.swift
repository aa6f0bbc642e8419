import Foundation

/// The real `wechat-server` binary, started as a child process.
final class ServerProcess: Sendable {
    let child: ChildProcess
    let dataDirectory: String
    private let logsDirectory: String
    private let stdoutPath: String
    private let stderrPath: String

    /// The binary built beside this test bundle.
    static var binaryPath: String {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // Inside a bundle (…/wechatPackageTests.xctest), the binary sits beside the bundle.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("wechat-server").path),
            directory.path != "/"
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("wechat-server").path
    }

    /// `takesDataDirectory`: false for roles that keep nothing on disk (status, gate), which
    /// are not given `--data-dir`.
    init(arguments: [String], dataDirectory: String? = nil, takesDataDirectory: Bool = true) throws {
        let directory =
            dataDirectory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("wechat-proc-\(UUID().uuidString)").path
        self.dataDirectory = directory
        // Output goes to files beside (not in) the data directory, which may be unwritable on purpose.
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wechat-proc-logs-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        logsDirectory = logs
        stdoutPath = logs + "/stdout"
        stderrPath = logs + "/stderr"
        child = try ChildProcess(
            path: Self.binaryPath,
            arguments: arguments
                + (arguments.contains("--data-dir") || !takesDataDirectory ? [] : ["--data-dir", directory]),
            stdoutPath: stdoutPath,
            stderrPath: stderrPath
        )
    }

    /// A test that fails half-way must not leave a server running behind it. The output files go
    /// with it (the data directory is the test's to remove: a restarted server may still use it).
    deinit {
        child.send(SIGKILL)
        _ = child.exitStatus
        try? FileManager.default.removeItem(atPath: logsDirectory)
    }

    var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Waits for the "ready" line and returns (gate URL, chat ports).
    func ready(timeout: Double = 60) async throws -> (gateURL: String, chatPorts: [Int]) {
        let fields = try await readyFields(timeout: timeout)
        let gateURL = fields["gate-url"] ?? "http://\(fields["gate"] ?? "")"
        let ports = (fields["chat"] ?? "").split(separator: ",").compactMap {
            $0.split(separator: ":").last.flatMap { Int($0) }
        }
        return (gateURL, ports)
    }

    /// Waits for the "ready" line (`wechat-server ready …`, or `wechat-server ROLE ready …` for a
    /// cluster role) and returns its `key=value` fields.
    /// The timeout only bounds a failure: at the start of a full parallel run, five servers
    /// starting beside hundreds of tests once all took over 20 s.
    func readyFields(timeout: Double = 60) async throws -> [String: String] {
        let deadline = Date().addingTimeInterval(timeout)
        // One last look after the deadline too: a test process starved through its sleep must
        // not call a server that printed its line meanwhile unready.
        var lastLook = false
        while !lastLook {
            lastLook = Date() >= deadline
            let line = stdout.split(separator: "\n").first { line in
                line.hasPrefix("wechat-server") && line.split(separator: " ").prefix(3).contains("ready")
            }
            if let line {
                var fields: [String: String] = [:]
                for part in line.split(separator: " ") {
                    let pair = part.split(separator: "=", maxSplits: 1)
                    if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
                }
                return fields
            }
            if !child.isRunning { throw TimedOut(description: "wechat-server exited: \(stderr)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TimedOut(description: "wechat-server did not become ready: \(stderr)")
    }

    /// Sends a signal and waits for the exit status.
    func stop(signal: Int32 = SIGTERM, timeout: Double = 10) async throws -> Int32 {
        child.send(signal)
        return try await exitStatus(timeout: timeout)
    }

    func exitStatus(timeout: Double = 10) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let status = child.exitStatus { return status }
            if Date() > deadline {
                child.send(SIGKILL)
                throw TimedOut(description: "wechat-server did not exit; stderr: \(stderr.suffix(2000))")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
