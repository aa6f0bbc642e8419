import ArgumentParser
import ChatProtocol
import ChatServer
import ChatServices
import ClusterRPC
import PostgresStores
import RedisServices
import ServerStack
import ServiceLifecycle

/// `wechat-server chat`: one chat node of a cluster. Clients hold their TCP session here; what
/// must last is in PostgreSQL, the message limits in Redis (so a user's devices on every node
/// share one), presence and load go to the status service, and pushes for users on other nodes
/// go to those nodes over gRPC. Start as many as the load needs; status sends new sign-ins to
/// the least loaded.
struct ChatRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract:
            "A chat node of a cluster: client TCP sessions, messages in PostgreSQL, pushes between nodes over gRPC."
    )

    @OptionGroup var cluster: ClusterOptions

    @Option(
        name: .customLong("push-listen"),
        help:
            "HOST:PORT of this node's gRPC push service, for the other nodes (env WECHAT_PUSH_LISTEN; default: the --listen host, a free port)."
    )
    var pushListen: String?

    @Option(
        help: "HOST:PORT clients are told to connect to, when a proxy or NAT sits in front (env WECHAT_ADVERTISE)."
    )
    var advertise: String?

    @Option(help: "This node's id in the registry (env WECHAT_NODE_ID; default chat-HOST-PORT).")
    var id: String?

    @Option(name: .customLong("max-connections"), help: "Connections this node accepts before saying it is full.")
    var maxConnections = 16_000

    @Flag(name: .customLong("no-rate-limits"), help: "Turn every rate limit off (load tests only).")
    var noRateLimits = false

    func run() async throws {
        let logger = cluster.bootstrapLogging()
        let runner = RoleRunner(role: "chat", logger: logger)
        let environment = cluster.environment
        let (listen, pushEndpoint, advertised, redisEndpoint, postgres, statusEndpoint) = runner.settings {
            let listen = try cluster.listenEndpoint(default: "127.0.0.1:8090")
            let push = try ServiceEndpoint(pushListen ?? environment["WECHAT_PUSH_LISTEN"] ?? "\(listen.host):0")
                .orThrow("--push-listen takes HOST:PORT.")
            let advertised = try (advertise ?? environment["WECHAT_ADVERTISE"]).map {
                try ServiceEndpoint($0).orThrow("--advertise takes HOST:PORT.")
            }
            return (
                listen, push, advertised, try cluster.redisEndpoint(), try cluster.postgresSettings(),
                try cluster.statusEndpoint()
            )
        }
        let nodeID = id ?? environment["WECHAT_NODE_ID"] ?? "chat-\(listen.host)-\(listen.port)"
        let redis = try await runner.openRedis(redisEndpoint)
        let database = try await runner.openPostgres(postgres)
        let statusConnection = try await runner.connect(to: "status", at: statusEndpoint)
        let status = RemoteStatusService(
            connection: statusConnection,
            watchesPresence: true,
            logger: logger.named("status")
        )
        let router = ClusterPushRouter(status: status, logger: logger.named("push"))

        var configuration = ChatServer.Configuration(id: nodeID, host: listen.host, port: listen.port)
        configuration.maxConnections = maxConnections
        configuration.limits = noRateLimits ? .unlimited : RateLimitPolicy()
        configuration.advertisedHost = advertised?.host
        configuration.advertisedPort = advertised?.port
        let messages = PostgresMessageStore(database: database)
        // Every node compacts the shared update logs (deleting twice is harmless).
        let compactor = UpdateLogCompactor(messages: messages, logger: logger.named("chat"))
        let dependencies = ChatServer.Dependencies(
            users: PostgresUserStore(database: database),
            social: PostgresSocialStore(database: database),
            messages: messages,
            groups: PostgresGroupStore(database: database),
            status: status,
            router: router,
            limiter: RedisRateLimiter(redis: redis, logger: logger.named("limits"))
        )
        let chatReady = ReadyPort()
        let pushReady = ReadyPort()
        // The chat server registers its push address, so it starts once that port is bound.
        let settings = configuration
        let chat = ServiceAfter {
            var configuration = settings
            configuration.pushEndpoint = "\(pushEndpoint.host):\(await pushReady.wait())"
            let server = ChatServer(
                configuration: configuration,
                dependencies: dependencies,
                logger: logger.named("chat"),
                onListening: chatReady.set
            )
            // A password reset on any gate ends the user's sessions here too.
            status.onDisconnectOrder { order in server.disconnect(order) }
            return server
        }
        let pushServer = ClusterRPCServer(
            listeningOn: pushEndpoint,
            hosting: .init(push: router),
            logger: logger.named("push"),
            onListening: pushReady.set
        )
        // Started in this order, stopped in reverse: the chat server says goodbye to its clients
        // and unregisters while the status connection still runs.
        try await runner.run([statusConnection, status, router, pushServer, compactor, chat]) {
            let pushPort = await pushReady.wait()
            let chatPort = await chatReady.wait()
            return
                "id=\(nodeID) listen=\(listen.host):\(chatPort) push=\(pushEndpoint.host):\(pushPort) status=\(statusEndpoint) redis=\(redisEndpoint) postgres=\(postgres)"
        }
        await database.close()
    }
}

extension Optional {
    /// The value, or a `ValidationError` with `message`.
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw ValidationError(message) }
        return self
    }
}

/// A service built once something it needs is known (a port another service binds), then run.
struct ServiceAfter<Wrapped: Service>: Service {
    let make: @Sendable () async throws -> Wrapped

    init(_ make: @escaping @Sendable () async throws -> Wrapped) {
        self.make = make
    }

    func run() async throws {
        try await make().run()
    }
}
