import ArgumentParser
import ChatServices
import ClusterRPC
import PostgresStores
import RedisServices
import ServerStack

/// `wechat-server status`: StatusServer of a cluster. The chat-node registry, load and presence
/// live in Redis; session tokens (as hashes) in PostgreSQL, so a Redis flush signs nobody out.
/// Chat nodes keep a copy of presence from its feed.
struct StatusRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "StatusServer of a cluster: chat-node registry and load, tokens and presence, served over gRPC."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(name: .customLong("token-lifetime-days"), help: "How long a sign-in lasts without being used.")
    var tokenLifetimeDays = 30

    func run() async throws {
        let logger = cluster.bootstrapLogging()
        let runner = RoleRunner(role: "status", logger: logger)
        let (listen, redisEndpoint, postgres) = runner.settings {
            (
                try cluster.listenEndpoint(default: "127.0.0.1:7301"), try cluster.redisEndpoint(),
                try cluster.postgresSettings()
            )
        }
        let redis = try await runner.openRedis(redisEndpoint)
        let database = try await runner.openPostgres(postgres)
        let status = RedisStatusService(
            redis: redis,
            sessions: PostgresSessionStore(database: database),
            tokenLifetimeSeconds: Int64(tokenLifetimeDays) * 86_400,
            logger: logger.named("status")
        )
        // A restarted status process serves presence as the chat nodes left it in Redis.
        try await runner.require("reading presence from Redis") { try await status.loadPresence() }
        let ready = ReadyPort()
        let server = ClusterRPCServer(
            listeningOn: listen,
            hosting: .init(status: status),
            logger: logger.named("status"),
            onListening: ready.set
        )
        try await runner.run([SilentChatServerSweeper(status: status), server]) {
            "listen=\(listen.host):\(await ready.wait()) redis=\(redisEndpoint) postgres=\(postgres)"
        }
        await database.close()
    }
}
