import ChatProtocol
import ChatServices
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// ChatServer: long-lived TCP sessions speaking framed protobuf (`WireEnvelope`).
///
/// A connection must open with `Hello` carrying a valid token; from then on its requests are
/// served one at a time, in order (so a client's messages keep their order), while pushes for its
/// user arrive at any moment from other sessions through the `PushRouter`.
public final class ChatServer: Service {
    public struct Configuration: Sendable {
        public var id: String
        public var host: String
        public var port: Int
        public var idleTimeout: TimeAmount = .seconds(ProtocolLimits.idleTimeoutSeconds)
        public var helloTimeout: TimeAmount = .seconds(ProtocolLimits.helloTimeoutSeconds)
        /// Connections past this are told the server is full and closed. Kept under the process's
        /// open-file limit (20,000 here) so the database and the gate always get a descriptor.
        public var maxConnections = 16_000
        /// One user's live connections (devices) on this server; a new one past this closes
        /// that user's oldest, so one token cannot take every slot.
        public var maxConnectionsPerUser = 16
        public var limits = RateLimitPolicy()
        /// Where clients are told to connect, when that is not where this server listens (a
        /// proxy or a NAT in front of it). nil: the listening address.
        public var advertisedHost: String?
        public var advertisedPort: Int?
        /// Serve TLS with this context (built once: it has read the certificate and key).
        public var tls: NIOSSLContext?
        /// How often this server tells the status service it is alive. A status service in
        /// another process takes three missed beats for a crash (see `RedisStatusService`).
        public var heartbeatInterval: TimeAmount = .seconds(1)
        /// Where other chat servers of a cluster deliver pushes for this one (`host:port` of its
        /// gRPC push service), registered with the status service; nil in one process.
        public var pushEndpoint: String?

        public init(id: String, host: String, port: Int) {
            self.id = id
            self.host = host
            self.port = port
        }
    }

    public struct Dependencies: Sendable {
        public var users: UserStore
        public var social: SocialStore
        public var messages: MessageStore
        /// Groups and their members; their messages go through `messages`, in the same database.
        public var groups: GroupStore
        public var status: StatusService
        public var router: any PushRouter
        public var limiter: RateLimiter
        /// For the per-connection frame budget and the times requests stamp.
        public var clock: WallClock

        public init(
            users: UserStore,
            social: SocialStore,
            messages: MessageStore,
            groups: GroupStore,
            status: StatusService,
            router: any PushRouter,
            limiter: RateLimiter,
            clock: WallClock = .system
        ) {
            self.users = users
            self.social = social
            self.messages = messages
            self.groups = groups
            self.status = status
            self.router = router
            self.limiter = limiter
            self.clock = clock
        }
    }

    public let configuration: Configuration
    private let dependencies: Dependencies
    private let handler: ChatRequestHandler
    private let registry = ConnectionRegistry()
    let logger: Logger
    private let boundPort = Mutex<Int?>(nil)
    private let open = OpenConnections()
    /// Numbers this server's connections (`ConnectionID`).
    private let connectionNumbers = Atomic<UInt64>(0)
    private let onListening: @Sendable (Int) -> Void

    public init(
        configuration: Configuration,
        dependencies: Dependencies,
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.dependencies = dependencies
        var logger = logger
        logger[metadataKey: "chatServer"] = "\(configuration.id)"
        self.logger = logger
        self.onListening = onListening
        self.handler = ChatRequestHandler(dependencies: dependencies, limits: configuration.limits, logger: logger)
    }

    public var port: Int? { boundPort.withLock { $0 } }

    var clock: WallClock { dependencies.clock }

    public var connectionCount: Int { registry.count }

    public func run() async throws {
        let serverChannel = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Set here, synchronously: as `childChannelOption`s they are applied through a
                    // chain of futures for every accepted connection, a few percent of a sign-in.
                    guard let options = channel.syncOptions else { throw ChannelError.operationUnsupported }
                    try options.setOption(.socketOption(.tcp_nodelay), value: 1)
                    try options.setOption(
                        .writeBufferWaterMark,
                        value: .init(
                            low: ProtocolLimits.maxSendQueueBytes / 4,
                            high: ProtocolLimits.maxSendQueueBytes
                        )
                    )
                    // Each connection keeps its receive buffer between reads: start it small (an
                    // idle connection costs 512 bytes, not 2 KiB); it grows while reads fill it.
                    try options.setOption(
                        .recvAllocator,
                        value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536)
                    )
                    try self.addConnectionHandlers(to: channel)
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
        let port = serverChannel.localAddress?.port ?? configuration.port
        boundPort.withLock { $0 = port }
        let info = ChatServerInfo(
            id: configuration.id,
            host: configuration.advertisedHost ?? configuration.host,
            port: configuration.advertisedPort ?? port,
            tls: configuration.tls != nil,
            pushEndpoint: configuration.pushEndpoint
        )
        attachToRouter()
        await dependencies.status.registerChatServer(info)
        logger.notice(
            "chat server listening",
            metadata: ["address": "\(configuration.host):\(port)", "tls": "\(configuration.tls != nil)"]
        )
        onListening(port)

        defer { dependencies.router.detach(chatServerID: configuration.id) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.sendHeartbeats(info) }
            await withGracefulShutdownHandler {
                await withTaskCancellationHandler {
                    try? await serverChannel.closeFuture.get()
                } onCancel: {
                    serverChannel.close(promise: nil)
                }
            } onGracefulShutdown: {
                serverChannel.close(promise: nil)
            }
            group.cancelAll()
        }
        await finishConnections()
        await dependencies.status.unregisterChatServer(id: configuration.id)
        logger.notice("chat server stopped")
    }

    /// Tells the status service this server is alive, until cancelled. When it answers that it
    /// does not know this server (it restarted, its Redis was flushed, or it dropped this server
    /// after a pause), registers again with the connections open here, so presence and load are
    /// right again without anyone stepping in. A status service that cannot be reached is said
    /// once, and asked again at the next beat.
    func sendHeartbeats(_ info: ChatServerInfo) async {
        var unreachable = false
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: .nanoseconds(configuration.heartbeatInterval.nanoseconds))
            } catch {
                return
            }
            do {
                if try await dependencies.status.chatServerHeartbeat(id: info.id) == false {
                    let connections = registry.connectionsPerUser
                    await dependencies.status.registerChatServer(info, connections: connections)
                    logger.warning(
                        "the status service did not know this chat server; registered again",
                        metadata: ["users": "\(connections.count)"]
                    )
                }
                if unreachable { logger.notice("the status service answers again") }
                unreachable = false
            } catch {
                if !unreachable {
                    logger.error("the status service cannot be reached", metadata: ["error": "\(error)"])
                }
                unreachable = true
            }
        }
    }

    /// Hands this server's connections to the router, so pushes reach them: `run()` does it once
    /// listening; tests that serve connections on test channels do it themselves.
    func attachToRouter() {
        dependencies.router.attach(chatServerID: configuration.id, receiver: registry)
    }

    /// The handlers of one connection, in pipeline order: TLS, the idle timeout, framing, and the
    /// connection itself. On the channel's event loop. The fuzz harness and the handler tests build
    /// their channels with this too, so they exercise the pipeline the server runs.
    package func addConnectionHandlers(to channel: Channel) throws {
        let inFlight = InFlightLimit(ProtocolLimits.maxMessagesInFlight)
        if let tls = configuration.tls {
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
        }
        try channel.pipeline.syncOperations.addHandlers([
            IdleTimeoutHandler(timeout: configuration.idleTimeout, inFlight: inFlight),
            ByteToMessageHandler(FrameDecoder()),
            ConnectionHandler(
                server: self,
                inFlight: inFlight,
                frameBudget: TokenBucket(configuration.limits.framesPerConnection, nowMs: clock.nowMs())
            ),
        ])
    }

    /// Once the listener is closed: says goodbye to every client so it reconnects elsewhere or
    /// later, lets each finish what it had sent (commits are not abandoned), and waits until all
    /// have closed; after `shutdownGrace`, closes whatever is left.
    private func finishConnections() async {
        let channels = open.shutDown()
        logger.notice("chat server shutting down", metadata: ["connections": "\(channels.count)"])
        for channel in channels {
            channel.triggerUserOutboundEvent(Self.connectionShutDown, promise: nil)
        }
        let stragglers = NIOSingletons.posixEventLoopGroup.next().scheduleTask(in: Self.shutdownGrace) { [open] in
            for channel in open.all() { channel.close(promise: nil) }
        }
        await open.waitUntilEmpty()
        stragglers.cancel()
    }

    static let shutdownGrace = TimeAmount.seconds(5)

    /// Sent down a connection's pipeline to make it finish what it read, say Goodbye and close.
    package static let connectionShutDown: any Sendable = ConnectionHandler.ShutDown()

    // MARK: One connection (called by its ConnectionHandler)

    /// Counts a new connection; returns why it is refused, if it is: past `maxConnections`, or
    /// arriving while the server shuts down.
    func opened(_ channel: Channel) -> ChatError? {
        guard let count = open.add(channel) else {
            return ChatError(.unavailable, "The server is restarting. Please try again shortly.")
        }
        guard count <= configuration.maxConnections else {
            logger.warning(
                "connection refused: server full",
                metadata: [
                    "peer": "\(ConnectionHandler.peer(of: channel))", "max": "\(configuration.maxConnections)",
                ]
            )
            return ChatError(.unavailable, "The server is full. Please try again shortly.")
        }
        return nil
    }

    /// A connection has closed. It stays counted until its session has ended (presence
    /// updated), so a shutdown waits for that before the database closes.
    func closed(_ channel: Channel, connection: ClientConnection?) {
        guard let connection else {
            open.remove(channel)
            return
        }
        Task {
            await disconnected(connection)
            open.remove(channel)
        }
    }

    /// What a connection's Hello came to.
    enum HelloOutcome {
        case accepted(ClientConnection)
        /// Nothing was registered; the connection answers with `error` and closes.
        case refused(ChatError, requestID: UInt64)
    }

    /// Authenticates the first frame and, if it passes, registers the connection and says HelloOk.
    func hello(_ envelope: WireEnvelope, channel: Channel, inFlight: InFlightLimit) async -> HelloOutcome {
        let peer = ConnectionHandler.peer(of: channel)
        guard case .hello(let hello) = envelope.payload else {
            logger.warning("frame before hello; closing", metadata: ["peer": "\(peer)"])
            return .refused(ChatError(.helloRequired, "The first frame must be Hello."), requestID: envelope.requestID)
        }
        guard hello.protocolVersion == ProtocolLimits.protocolVersion else {
            logger.info(
                "hello refused",
                metadata: ["peer": "\(peer)", "code": "\(ErrorCode.unsupportedVersion.rawValue)"]
            )
            return .refused(
                ChatError(
                    .unsupportedVersion,
                    "This server speaks protocol version \(ProtocolLimits.protocolVersion); please update the client."
                ),
                requestID: envelope.requestID
            )
        }
        do {
            return .accepted(
                try await accept(hello, requestID: envelope.requestID, channel: channel, inFlight: inFlight, peer: peer)
            )
        } catch let error as ChatError {
            logger.info("hello refused", metadata: ["peer": "\(peer)", "code": "\(error.code.rawValue)"])
            return .refused(error, requestID: envelope.requestID)
        } catch {
            logger.error("hello failed", metadata: ["peer": "\(peer)", "error": "\(error)"])
            return .refused(.internalError(), requestID: envelope.requestID)
        }
    }

    /// Checks the token, registers the connection and says HelloOk; throws, having registered
    /// nothing, if the check fails.
    private func accept(
        _ hello: WireHello,
        requestID: UInt64,
        channel: Channel,
        inFlight: InFlightLimit,
        peer: String
    ) async throws -> ClientConnection {
        let session = try await dependencies.status.authenticate(token: hello.token)
        let user = session.userID
        guard let record = try await dependencies.users.user(id: user) else {
            throw ChatError(.invalidToken, "Your account no longer exists.")
        }
        // Everything that can fail comes before the connection is registered, so a failure leaves
        // nothing behind (no registry entry, no phantom presence).
        var ok = WireHelloOk()
        ok.me = WireUser(record, includeEmail: true)
        ok.serverID = configuration.id
        ok.latestUpdateID = try await dependencies.messages.latestUpdateID(of: user)
        ok.heartbeatSeconds = ProtocolLimits.heartbeatSeconds
        ok.findableByEmail = try await dependencies.users.isFindableByEmail(userID: user)
        ok.sendsReadReceipts = try await dependencies.users.sendsReadReceipts(userID: user)
        let connection = ClientConnection(
            id: ConnectionID(
                chatServerID: configuration.id,
                number: connectionNumbers.add(1, ordering: .relaxed).newValue
            ),
            userID: user,
            sessionID: session.sessionID,
            deviceID: String(hello.deviceID.prefix(64)),
            channel: channel,
            inFlight: inFlight,
            logger: logger
        )
        // Registered before HelloOk, so no push is lost between the two; the client's sync covers
        // anything older.
        registry.add(connection)
        closeOldestIfOverCap(of: user)
        connection.closeWhenExpired(atMs: session.expiresAtMs, nowMs: dependencies.clock.nowMs())
        let cameOnline = await dependencies.status.connectionOpened(user: user, chatServerID: configuration.id)
        connection.send(.reply(to: requestID, .helloOk(ok)))
        logger.info(
            "session started",
            metadata: ["user": "\(user)", "device": "\(connection.deviceID)", "peer": "\(peer)"]
        )
        if cameOnline {
            await handler.pushPresence(of: user, online: true)
        }
        return connection
    }

    func respond(to envelope: WireEnvelope, on connection: ClientConnection) async {
        guard let payload = envelope.payload else {
            connection.send(
                .error(ChatError(.badRequest, "The frame carries no request."), requestID: envelope.requestID)
            )
            return
        }
        do {
            let reply = try await handler.handle(payload, from: connection.userID)
            // Waiting for the write means a client that stops reading stops being read: its
            // replies cannot pile up in memory.
            try? await connection.sendAndWait(.reply(to: envelope.requestID, reply))
        } catch {
            refuse(error, requestID: envelope.requestID, on: connection)
        }
    }

    /// A message's checks that need no database (friendship and blocks are checked by the
    /// commit): nil, after refusing it, if it fails one.
    func checkMessage(_ request: WireSendMessage, requestID: UInt64, on connection: ClientConnection) -> NewMessage? {
        do {
            return try handler.checkMessage(request, from: connection.userID)
        } catch {
            refuse(error, requestID: requestID, on: connection)
            return nil
        }
    }

    /// Queues a message for commit (the connection holds an in-flight slot for it) without
    /// waiting: the connection reads on while earlier messages commit, so one client's window
    /// shares a transaction and its fsync. The completion runs on the store's completion queue
    /// and queues the ack and the pushes on their connections without waiting for anything.
    func commit(_ message: NewMessage, requestID: UInt64, on connection: ClientConnection) {
        let handler = handler
        let logger = logger
        dependencies.messages.commit(message) { result in
            defer { connection.inFlight.release() }
            switch result {
            case .success(let committed):
                connection.send(.reply(to: requestID, .messageAck(handler.delivered(committed, sentOn: connection.id))))
            case .failure(let error as ChatError):
                logger.info(
                    "message refused",
                    metadata: ["user": "\(connection.userID)", "code": "\(error.code.rawValue)"]
                )
                connection.send(.error(error, requestID: requestID))
            case .failure(let error):
                logger.error("message commit failed", metadata: ["user": "\(connection.userID)", "error": "\(error)"])
                connection.send(.error(.internalError(), requestID: requestID))
            }
        }
    }

    private func refuse(_ error: Error, requestID: UInt64, on connection: ClientConnection) {
        if let error = error as? ChatError {
            logger.info(
                "request refused",
                metadata: ["user": "\(connection.userID)", "code": "\(error.code.rawValue)"]
            )
            connection.send(.error(error, requestID: requestID))
        } else {
            logger.error("request failed", metadata: ["user": "\(connection.userID)", "error": "\(error)"])
            connection.send(.error(.internalError(), requestID: requestID))
        }
    }

    private func disconnected(_ connection: ClientConnection) async {
        registry.remove(connection)
        let wentOffline = await dependencies.status.connectionClosed(
            user: connection.userID,
            chatServerID: configuration.id
        )
        logger.info("session ended", metadata: ["user": "\(connection.userID)", "device": "\(connection.deviceID)"])
        if wentOffline {
            await handler.pushPresence(of: connection.userID, online: false)
        }
    }

    /// A user past `maxConnectionsPerUser` here loses their oldest connections, told why: the
    /// newest device is the one in someone's hands.
    private func closeOldestIfOverCap(of user: UserID) {
        let mine = registry.connections(of: user)
        guard mine.count > configuration.maxConnectionsPerUser else { return }
        let oldest = mine.sorted { $0.id.number < $1.id.number }.prefix(
            mine.count - configuration.maxConnectionsPerUser
        )
        logger.notice(
            "closing a user's oldest connections: too many devices",
            metadata: ["user": "\(user)", "closed": "\(oldest.count)", "max": "\(configuration.maxConnectionsPerUser)"]
        )
        let reason = ChatError(
            .invalidToken,
            "You are signed in on more than \(configuration.maxConnectionsPerUser) devices; this one was signed out."
        )
        for connection in oldest { connection.sendThenClose(.error(reason)) }
    }

    /// Closes the live connections an order names: every one of a user after a password reset
    /// revoked their tokens, one session's after a sign-out.
    public func disconnect(_ order: DisconnectOrder) {
        for connection in registry.connections(of: order.user)
        where order.session.map({ $0 == connection.sessionID }) ?? true {
            connection.send(.error(order.reason))
            connection.channel.close(promise: nil)
        }
    }
}
