import Foundation
import StoreTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server (Debian's) for one test: its own data directory, a free loopback
/// port, trust authentication for the superuser `wechat`, removed by `stop()`.
///
/// PostgreSQL refuses to run as root, and CI runs as root: then `initdb` and `postgres` run as
/// the `postgres` user (through `runuser`), in a directory handed to that user.
public final class PostgresServer: @unchecked Sendable {
    // @unchecked: the pids change only in `start`, `restart` and `stop`, which a test calls
    // from its one task.
    public let port: Int
    public let directory: String
    private var launcher: pid_t = 0

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    public static let user = "wechat"
    public static let database = "postgres"

    private init(port: Int, directory: String) {
        self.port = port
        self.directory = directory
    }

    /// Initialises a cluster and starts it; throws with the server's log when it does not start.
    public static func start() async throws -> PostgresServer {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("pg-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try asServerUser(["/bin/chown", "-R", "postgres:postgres", directory], rootOnly: true)
        try run(
            try asServerUser([
                try binary("initdb"), "-D", directory + "/data", "-U", user, "--auth=trust", "-E", "UTF8",
                "--locale=C", "--no-sync",
            ]),
            log: directory + "/initdb.log"
        )
        for _ in 0..<5 {
            let server = PostgresServer(port: try PortFinder.freePort(), directory: directory)
            if try await server.launch() { return server }
        }
        try? FileManager.default.removeItem(atPath: directory)
        throw Failure("PostgreSQL did not start; see \(directory)/postgres.log")
    }

    /// Runs `body` with a server, and stops it afterwards whatever happens.
    public static func with<T>(_ body: (PostgresServer) async throws -> T) async throws -> T {
        let server = try await start()
        defer { server.stop() }
        return try await body(server)
    }

    /// Makes an empty database on this server (`createdb`, as the superuser).
    func createDatabase(_ name: String) throws {
        try Self.run(
            [try Self.binary("createdb"), "-h", "127.0.0.1", "-p", "\(port)", "-U", Self.user, name],
            log: directory + "/createdb.log"
        )
    }

    /// Stops the server as a crash would (SIGKILL to the postmaster) and starts it again on the
    /// same port and data: what it had committed must still be there.
    public func restart() async throws {
        crash()
        try await startAgain()
    }

    /// Kills the server as a crash would (SIGKILL to the postmaster) and leaves it down, so a
    /// test can see what its clients do while the database is gone.
    public func crash() {
        if let pid = postmasterPID() { kill(pid, SIGKILL) }
        if launcher > 0 { Self.reap(launcher) }
        launcher = 0
    }

    /// Starts a crashed server again on the same port and data, and waits until it accepts
    /// connections.
    public func startAgain() async throws {
        // The children of a killed postmaster go when they notice; the shared memory with them.
        try await Task.sleep(for: .milliseconds(300))
        guard try await launch() else {
            throw Failure("PostgreSQL did not start again; see \(directory)/postgres.log")
        }
    }

    public func stop() {
        // SIGINT: the "fast" shutdown, sessions ended and the server gone in well under a second.
        // The wait is bounded: a server that has not gone in 10 s is killed, so a test can never
        // hang here (and with it every test sharing the few threads of the async runtime).
        let postmaster = postmasterPID()
        if let postmaster { kill(postmaster, SIGINT) }
        if launcher > 0, !Self.reap(launcher, within: .seconds(10)) {
            if let postmaster { kill(postmaster, SIGKILL) }
            kill(launcher, SIGKILL)
            Self.reap(launcher)
        }
        launcher = 0
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Starts `postgres` and waits until it accepts connections; false if it exited first.
    private func launch() async throws -> Bool {
        launcher = try Self.spawn(
            try Self.asServerUser([
                try Self.binary("postgres"), "-D", directory + "/data", "-p", "\(port)", "-k", directory,
                "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200",
            ]),
            log: directory + "/postgres.log"
        )
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            if waitpid(launcher, &status, WNOHANG) == launcher {
                launcher = 0
                return false
            }
            let probe = try Self.spawn(
                [try Self.binary("pg_isready"), "-q", "-h", "127.0.0.1", "-p", "\(port)"],
                log: directory + "/pg_isready.log"
            )
            if Self.reap(probe) == 0, postmasterPID() != nil { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// The postmaster's pid, from its lock file (the launcher may be `runuser`, not postgres).
    private func postmasterPID() -> pid_t? {
        guard let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = pid_t(first)
        else { return nil }
        return pid
    }

    // MARK: Processes

    private static var isRoot: Bool { getuid() == 0 }

    /// `arguments` run as the `postgres` user when we are root; as they are otherwise.
    @discardableResult
    private static func asServerUser(_ arguments: [String], rootOnly: Bool = false) throws -> [String] {
        if rootOnly {
            if isRoot { try run(arguments, log: "/dev/null") }
            return arguments
        }
        return isRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--"] + arguments : arguments
    }

    private static func binary(_ name: String) throws -> String {
        for version in ["17", "16", "15", "14", "13"] {
            let path = "/usr/lib/postgresql/\(version)/bin/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw Failure("\(name) not found: install Debian's postgresql")
    }

    private static func run(_ arguments: [String], log: String) throws {
        let status = reap(try spawn(arguments, log: log))
        guard status == 0 else {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw Failure("\(arguments[0]) failed (\(status)): \(text)")
        }
    }

    /// posix_spawn with an empty signal mask (the test runner blocks some signals, and children
    /// inherit the mask), stdout and stderr to `log`.
    private static func spawn(_ arguments: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o666)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ) == 0 else {
            throw Failure("could not run \(arguments[0])")
        }
        return pid
    }

    /// Waits up to `limit` for the process to exit; whether it did (and was reaped).
    private static func reap(_ pid: pid_t, within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return true }
            usleep(20_000)
        }
        return false
    }

    /// Waits for the process; its exit status.
    @discardableResult
    private static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return status
    }
}
