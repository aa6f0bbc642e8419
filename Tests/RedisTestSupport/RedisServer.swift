import Foundation
import Logging
import NIOCore
import RedisClient
import StoreTestSupport

/// A real `redis-server` (Debian's) for one test: its own port on loopback and its own directory,
/// nothing persisted, stopped and removed by `stop()`.
///
/// Started with posix_spawn and reaped with waitpid: Foundation's `Process.waitUntilExit` was
/// seen to wait for ever for a redis-server that had exited.
public final class RedisServer: @unchecked Sendable {
    // @unchecked: `pid` is replaced by `restart()` only, which a test calls from its one task.
    public let port: Int
    public let directory: String
    private var pid: pid_t

    private init(port: Int, directory: String, pid: pid_t) {
        self.port = port
        self.directory = directory
        self.pid = pid
    }

    /// Starts a server on a free port. A port found free can be taken by another test's server
    /// before this one binds it (tests run in parallel), so a server that exits at once is
    /// started again on another port.
    public static func start() async throws -> RedisServer {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("redis-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for _ in 0..<5 {
            let port = try PortFinder.freePort()
            let server = RedisServer(
                port: port,
                directory: directory,
                pid: try launch(port: port, directory: directory)
            )
            if try await server.waitUntilAnswering() { return server }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw RedisError.unavailable("redis-server did not start; see \(directory)/redis.log")
    }

    /// Stops the server (as a crash would: SIGKILL) and starts it again on the same port, empty.
    public func restart() async throws {
        Self.end(pid, with: SIGKILL)
        pid = try Self.launch(port: port, directory: directory)
        guard try await waitUntilAnswering() else {
            throw RedisError.unavailable("redis-server did not start again on port \(port); see \(directory)/redis.log")
        }
    }

    public func stop() {
        if pid > 0 {
            Self.end(pid, with: SIGTERM)
            pid = 0
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `body` with a server, and stops it afterwards whatever happens.
    public static func with<T>(_ body: (RedisServer) async throws -> T) async throws -> T {
        let server = try await start()
        defer { server.stop() }
        return try await body(server)
    }

    public func connection(timeout: TimeAmount = .seconds(2)) -> RedisConnection {
        RedisConnection(host: "127.0.0.1", port: port, timeout: timeout, logger: .quiet)
    }

    private static func launch(port: Int, directory: String) throws -> pid_t {
        let path = try executable("redis-server")
        let arguments = [
            path, "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory, "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--logfile", directory + "/redis.log",
        ]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The child inherits the spawning thread's signal mask, and a test runner's threads may
        // block SIGTERM: unblocked, or `stop()` would wait for a server that never heard it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, nil, &attributes, argv, environ) == 0 else {
            throw RedisError.unavailable("could not start \(path)")
        }
        return pid
    }

    /// Signals the process and reaps it.
    private static func end(_ pid: pid_t, with signal: Int32) {
        kill(pid, signal)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }

    /// Waits until this server answers; false if it exited first (reaped) or took over 10 s.
    private func waitUntilAnswering() async throws -> Bool {
        let probe = connection(timeout: .milliseconds(200))
        defer { Task { await probe.close() } }
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            // Our server, not another test's that took the port: its process id must be ours.
            if let info = (try? await probe.send(["INFO", "server"]))?.string, info.contains("process_id:\(pid)\r\n") {
                return true
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                pid = 0
                return false
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Self.end(pid, with: SIGKILL)
        pid = 0
        return false
    }

    private static func executable(_ name: String) throws -> String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") + ["/usr/bin", "/usr/sbin"] {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RedisError.unavailable("\(name) is not installed (apt-get install redis-server; .ci/run does).")
    }
}
