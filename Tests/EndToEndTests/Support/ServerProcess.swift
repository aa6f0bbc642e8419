import Foundation
import Synchronization

/// The real `wechat-server` binary, started as a child process.
final class ServerProcess: Sendable {
    let process: Process
    let dataDirectory: String
    private let output = CapturedOutput()

    /// The binary built beside this test bundle.
    static var binaryPath: String {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        // Inside a bundle (…/wechatPackageTests.xctest), the binary sits beside the bundle.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("wechat-server").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("wechat-server").path
    }

    init(arguments: [String], dataDirectory: String? = nil) throws {
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("wechat-proc-\(UUID().uuidString)").path
        self.dataDirectory = directory
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaryPath)
        process.arguments = arguments + (arguments.contains("--data-dir") ? [] : ["--data-dir", directory])
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        out.fileHandleForReading.readabilityHandler = { [output] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            output.text.withLock { $0.stdout += text }
        }
        err.fileHandleForReading.readabilityHandler = { [output] handle in
            let text = String(decoding: handle.availableData, as: UTF8.self)
            output.text.withLock { $0.stderr += text }
        }
        try process.run()
    }

    var stdout: String { output.text.withLock { $0.stdout } }
    var stderr: String { output.text.withLock { $0.stderr } }

    /// Waits for the "ready" line and returns (gate URL, chat ports).
    func ready(timeout: Double = 20) async throws -> (gateURL: String, chatPorts: [Int]) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("wechat-server ready") }) {
                var fields: [String: String] = [:]
                for part in line.split(separator: " ") {
                    let pair = part.split(separator: "=", maxSplits: 1)
                    if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
                }
                let gate = fields["gate"] ?? ""
                let ports = (fields["chat"] ?? "").split(separator: ",").compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }
                return ("http://\(gate)", ports)
            }
            if !process.isRunning { throw TimedOut(description: "wechat-server exited: \(stderr)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TimedOut(description: "wechat-server did not become ready: \(stderr)")
    }

    /// Sends a signal and waits for the exit status.
    func stop(signal: Int32 = SIGTERM, timeout: Double = 10) async throws -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        return try await exitStatus(timeout: timeout)
    }

    func exitStatus(timeout: Double = 10) async throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                kill(process.processIdentifier, SIGKILL)
                throw TimedOut(description: "wechat-server did not exit")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }
}

final class CapturedOutput: Sendable {
    let text = Mutex<(stdout: String, stderr: String)>(("", ""))
}
