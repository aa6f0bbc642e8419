import ArgumentParser
import ChatProtocol
import ChatServices
import ClusterRPC
import GateServer
import PostgresStores
import RedisServices
import ServerStack

/// `wechat-server gate`: GateServer of a cluster, the HTTP API clients sign in through. Accounts
/// in PostgreSQL, rate limits in Redis (shared by every gate), codes from the verify service and
/// tokens and chat-node choice from the status service. Any gate can sign anyone in; run several.
struct GateRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "GateServer of a cluster: the HTTP API, calling verify and status over gRPC."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost for new password hashes (10 or more).")
    var bcryptCost: UInt8 = 10

    @Flag(name: .customLong("no-rate-limits"), help: "Turn every rate limit off (load tests only).")
    var noRateLimits = false

    func validate() throws {
        guard (10...31).contains(bcryptCost) else { throw ValidationError("--bcrypt-cost takes 10 to 31.") }
    }

    func run() async throws {
        let logger = cluster.bootstrapLogging()
        let runner = RoleRunner(role: "gate", logger: logger)
        let (listen, redisEndpoint, postgres, statusEndpoint, verifyEndpoint) = runner.settings {
            (
                try cluster.listenEndpoint(default: "127.0.0.1:8888"), try cluster.redisEndpoint(),
                try cluster.postgresSettings(), try cluster.statusEndpoint(), try cluster.verifyEndpoint()
            )
        }
        let redis = try await runner.openRedis(redisEndpoint)
        let database = try await runner.openPostgres(postgres)
        let statusConnection = try await runner.connect(to: "status", at: statusEndpoint)
        let verifyConnection = try await runner.connect(to: "verify", at: verifyEndpoint)
        let status = RemoteStatusService(
            connection: statusConnection,
            watchesPresence: false,
            logger: logger.named("status")
        )
        let accounts = InProcessAccountService(
            users: PostgresUserStore(database: database),
            verify: RemoteVerifyService(connection: verifyConnection),
            status: status,
            hasher: PasswordHasher(cost: bcryptCost),
            limiter: RedisRateLimiter(redis: redis, logger: logger.named("limits")),
            limits: noRateLimits ? .unlimited : RateLimitPolicy(),
            sessions: status,
            logger: logger.named("gate")
        )
        let ready = ReadyPort()
        let gate = GateServer(
            host: listen.host,
            port: listen.port,
            accounts: accounts,
            logger: logger.named("gate"),
            onListening: ready.set
        )
        try await runner.run([statusConnection, verifyConnection, status, gate]) {
            let port = await ready.wait()
            return
                "listen=\(listen.host):\(port) gate-url=http://\(listen.host):\(port) status=\(statusEndpoint) verify=\(verifyEndpoint) redis=\(redisEndpoint) postgres=\(postgres)"
        }
        await database.close()
    }
}
