import ChatClient
import ChatProtocol
import ChatServices
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The server under test: one `wechat-server` this tool starts (`--spawn`), or one already running.
final class BenchServer: Sendable {
    let gateURL: String
    let mailboxPath: String
    let pid: pid_t?
    private let spawned: pid_t?

    private init(gateURL: String, mailboxPath: String, pid: pid_t?, spawned: pid_t?) {
        self.gateURL = gateURL
        self.mailboxPath = mailboxPath
        self.pid = pid
        self.spawned = spawned
    }

    static func attach(gateURL: String, mailboxPath: String, pid: pid_t?) -> BenchServer {
        BenchServer(gateURL: gateURL, mailboxPath: mailboxPath, pid: pid, spawned: nil)
    }

    /// Starts `wechat-server` (built beside this binary) on free loopback ports with a fresh data
    /// directory, and waits for its ready line.
    static func spawn(chatServers: Int, bcryptCost: Int) async throws -> BenchServer {
        let binary = (executablePath as NSString).deletingLastPathComponent + "/wechat-server"
        let directory = NSTemporaryDirectory() + "wechat-bench-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = directory + "/server.out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/server.log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let arguments = [
            binary, "--gate-port", "0", "--chat-port", "0", "--chat-servers", "\(chatServers)", "--no-rate-limits",
            "--data-dir", directory + "/data", "--log-level", "warning", "--bcrypt-cost", "\(bcryptCost)",
        ]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, binary, &actions, nil, argv, environ) == 0 else {
            throw ChatError(.unavailable, "Could not start \(binary); build it first (swift build -c release).")
        }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: output, encoding: .utf8),
                let line = text.split(separator: "\n").first(where: { $0.hasPrefix("wechat-server ready") }),
                let gate = line.split(separator: " ").first(where: { $0.hasPrefix("gate=") })?.dropFirst(5)
            {
                return BenchServer(
                    gateURL: "http://\(gate)",
                    mailboxPath: directory + "/data/dev-mailbox.txt",
                    pid: pid,
                    spawned: pid
                )
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        kill(pid, SIGKILL)
        throw ChatError(.unavailable, "wechat-server did not start; see \(directory)/server.log")
    }

    /// Stops a spawned server (SIGTERM, then waits).
    func stop() {
        guard let spawned else { return }
        kill(spawned, SIGTERM)
        var status: Int32 = 0
        waitpid(spawned, &status, 0)
    }

    /// The server's resident memory, from /proc.
    var residentKiB: Int {
        guard let pid, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
