import ChatServices
import Foundation
import PostgresTestSupport
import RedisTestSupport
import StoreTestSupport
import Testing

/// A cluster of real processes on loopback: PostgreSQL and Redis started for the test, then
/// `wechat-server verify`, `status`, gates and chat nodes, each its own process on its own free
/// port.
final class ClusterProcesses: Sendable {
    let postgres: PostgresServer
    let redis: RedisServer
    let mailboxDirectory: String
    let verifyPort: Int
    let statusPort: Int
    let verify: Locked<ServerProcess?>
    let status: Locked<ServerProcess?>
    let gates: Locked<[ServerProcess]>
    let chatNodes: Locked<[ServerProcess]>
    /// Each chat node's command line, to start it again after a kill.
    private let chatArguments: Locked<[[String]]>
    let gateArguments: [String]

    var postgresURL: String {
        "postgres://\(PostgresServer.user)@127.0.0.1:\(postgres.port)/\(PostgresServer.database)"
    }
    var redisURL: String { "redis://127.0.0.1:\(redis.port)" }
    var mailboxPath: String { mailboxDirectory + "/dev-mailbox.txt" }

    private init(postgres: PostgresServer, redis: RedisServer, directory: String, gateArguments: [String] = []) throws {
        self.postgres = postgres
        self.redis = redis
        mailboxDirectory = directory
        verifyPort = try PortFinder.freePort()
        statusPort = try PortFinder.freePort()
        verify = Locked(nil)
        status = Locked(nil)
        gates = Locked([])
        chatNodes = Locked([])
        chatArguments = Locked([])
        self.gateArguments = gateArguments
    }

    /// PostgreSQL, Redis, verify, status, `gates` gates and `chatNodes` chat nodes, up and ready.
    static func start(
        gates gateCount: Int,
        chatNodes nodeCount: Int = 0,
        gateArguments: [String] = []
    ) async throws -> ClusterProcesses {
        let postgres = try await PostgresServer.start()
        let redis: RedisServer
        do {
            redis = try await RedisServer.start()
        } catch {
            postgres.stop()
            throw error
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wechat-cluster-\(UUID().uuidString)"
        ).path
        let cluster = try ClusterProcesses(
            postgres: postgres,
            redis: redis,
            directory: directory,
            gateArguments: gateArguments
        )
        do {
            try await cluster.startVerify()
            try await cluster.startStatus()
            for _ in 0..<gateCount { _ = try await cluster.startGate() }
            for _ in 0..<nodeCount { _ = try await cluster.startChatNode() }
        } catch {
            cluster.stop()
            throw error
        }
        return cluster
    }

    /// Kills every process, stops PostgreSQL and Redis, removes the directory.
    func stop() {
        killAll()
        redis.stop()
        postgres.stop()
        try? FileManager.default.removeItem(atPath: mailboxDirectory)
    }

    /// Runs `body` with PostgreSQL, Redis, verify, status and `gates` gates up; stops them all.
    static func with(gates gateCount: Int = 1, _ body: (ClusterProcesses) async throws -> Void) async throws {
        try await ClusterSlot.holding { try await withoutWaiting(gates: gateCount, body) }
    }

    private static func withoutWaiting(
        gates gateCount: Int,
        _ body: (ClusterProcesses) async throws -> Void
    ) async throws {
        try await PostgresServer.with { postgres in
            try await RedisServer.with { redis in
                try await withTemporaryDirectory { directory in
                    let cluster = try ClusterProcesses(postgres: postgres, redis: redis, directory: directory.path)
                    defer { cluster.killAll() }
                    try await cluster.startVerify()
                    try await cluster.startStatus()
                    for _ in 0..<gateCount { _ = try await cluster.startGate() }
                    try await body(cluster)
                }
            }
        }
    }

    func startVerify() async throws {
        let process = try ServerProcess(
            arguments: [
                "verify", "--listen", "127.0.0.1:\(verifyPort)", "--redis", redisURL, "--log-level", "warning",
            ],
            dataDirectory: mailboxDirectory
        )
        _ = try await process.readyFields()
        verify.withLock { $0 = process }
    }

    func startStatus() async throws {
        let process = try ServerProcess(
            arguments: [
                "status", "--listen", "127.0.0.1:\(statusPort)", "--redis", redisURL, "--postgres", postgresURL,
                "--log-level", "warning",
            ],
            takesDataDirectory: false
        )
        _ = try await process.readyFields()
        status.withLock { $0 = process }
    }

    /// Starts one more chat node on loopback (`port`, or a free one), telling clients to use
    /// `advertisedPort` when a proxy sits in front of it; returns its client port.
    @discardableResult
    func startChatNode(port: Int? = nil, advertisedPort: Int? = nil) async throws -> Int {
        let index = chatNodes.withLock { $0.count } + 1
        var arguments = [
            "chat", "--id", "chat-\(index)", "--listen", "127.0.0.1:\(try port ?? PortFinder.freePort())",
            "--push-listen", "127.0.0.1:0", "--redis", redisURL, "--postgres", postgresURL, "--status",
            "127.0.0.1:\(statusPort)", "--log-level", "warning",
        ]
        if let advertisedPort { arguments += ["--advertise", "127.0.0.1:\(advertisedPort)"] }
        let process = try ServerProcess(arguments: arguments, takesDataDirectory: false)
        let fields = try await process.readyFields()
        chatNodes.withLock { $0.append(process) }
        chatArguments.withLock { $0.append(arguments) }
        return try #require(fields["listen"].flatMap { $0.split(separator: ":").last }.flatMap { Int($0) })
    }

    /// SIGKILLs chat node `index` (0-based), as a crash would.
    func killChatNode(_ index: Int) {
        chatNodes.withLock { $0[index] }.child.killAndReap()
    }

    /// Starts chat node `index` again with its id and ports.
    func restartChatNode(_ index: Int) async throws {
        let process = try ServerProcess(arguments: chatArguments.withLock { $0[index] }, takesDataDirectory: false)
        _ = try await process.readyFields()
        chatNodes.withLock { $0[index] = process }
    }

    /// SIGKILLs the status process and starts it again on its port.
    func restartStatus() async throws {
        status.withLock { $0 }?.child.killAndReap()
        try await startStatus()
    }

    /// Starts one more gate; returns its URL.
    func startGate() async throws -> String {
        let process = try gateProcess(status: "127.0.0.1:\(statusPort)")
        let fields = try await process.readyFields()
        gates.withLock { $0.append(process) }
        return try #require(fields["gate-url"])
    }

    /// A gate process, not waited for (a test may expect it to fail).
    func gateProcess(status: String, extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(
            arguments: [
                "gate", "--listen", "127.0.0.1:\(try PortFinder.freePort())", "--redis", redisURL, "--postgres",
                postgresURL, "--status", status, "--verify", "127.0.0.1:\(verifyPort)", "--log-level", "warning",
            ] + gateArguments + extra,
            takesDataDirectory: false
        )
    }

    var gateURLs: [String] {
        get async throws {
            var urls: [String] = []
            for gate in gates.withLock({ $0 }) {
                urls.append(try #require(try await gate.readyFields()["gate-url"]))
            }
            return urls
        }
    }

    func killAll() {
        let roles = [status.withLock { $0 }, verify.withLock { $0 }].compactMap { $0 }
        for process in chatNodes.withLock({ $0 }) + gates.withLock({ $0 }) + roles {
            process.child.killAndReap()
        }
    }
}
