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
        public var limits = RateLimitPolicy()
        /// Where clients are told to connect, when that is not where this server listens (a
        /// proxy or a NAT in front of it). nil: the listening address.
        public var advertisedHost: String?
        public var advertisedPort: Int?
        /// Serve TLS with this context (built once: it has read the certificate and key).
        public var tls: NIOSSLContext?

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
        public var status: StatusService
        public var router: InProcessPushRouter
        public var limiter: RateLimiter

        public init(users: UserStore, social: SocialStore, messages: MessageStore, status: StatusService,
                    router: InProcessPushRouter, limiter: RateLimiter) {
            self.users = users
            self.social = social
            self.messages = messages
            self.status = status
            self.router = router
            self.limiter = limiter
        }
    }

    public let configuration: Configuration
    private let dependencies: Dependencies
    private let handler: ChatRequestHandler
    private let registry = ConnectionRegistry()
    private let logger: Logger
    private let boundPort = Mutex<Int?>(nil)
    /// Every accepted connection, authenticated or not: what `maxConnections` caps.
    private let openConnections = Atomic<Int>(0)
    private let onListening: @Sendable (Int) -> Void

    public init(configuration: Configuration, dependencies: Dependencies, logger: Logger,
                onListening: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.configuration = configuration
        self.dependencies = dependencies
        var logger = logger
        logger[metadataKey: "chatServer"] = "\(configuration.id)"
        self.logger = logger
        self.onListening = onListening
        self.handler = ChatRequestHandler(dependencies: dependencies, limits: configuration.limits, logger: logger)
    }

    public var port: Int? { boundPort.withLock { $0 } }

    public var connectionCount: Int { registry.count }

    public func run() async throws {
        let idleTimeout = configuration.idleTimeout
        let tls = configuration.tls
        let server = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: ProtocolLimits.maxSendQueueBytes / 4, high: ProtocolLimits.maxSendQueueBytes))
            // Each connection keeps its receive buffer between reads: start it small (an idle
            // connection costs 512 bytes, not 2 KiB); it grows while reads fill it.
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 512, maximum: 65_536))
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let inFlight = InFlightLimit(ProtocolLimits.maxMessagesInFlight)
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                    }
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: idleTimeout),
                        IdleTimeoutHandler(inFlight: inFlight),
                        ByteToMessageHandler(FrameDecoder()),
                    ])
                    return AcceptedConnection(
                        channel: try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel),
                        inFlight: inFlight)
                }
            }
        let port = server.channel.localAddress?.port ?? configuration.port
        boundPort.withLock { $0 = port }
        let info = ChatServerInfo(id: configuration.id, host: configuration.advertisedHost ?? configuration.host,
                                  port: configuration.advertisedPort ?? port, tls: tls != nil)
        dependencies.router.attach(chatServerID: configuration.id, registry: registry)
        await dependencies.status.registerChatServer(info)
        logger.notice("chat server listening", metadata: ["address": "\(configuration.host):\(port)", "tls": "\(tls != nil)"])
        onListening(port)

        defer { dependencies.router.detach(chatServerID: configuration.id) }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await accepted in connections {
                        group.addTask { await self.serve(accepted.channel, inFlight: accepted.inFlight) }
                    }
                }
            }
        } onGracefulShutdown: {
            self.shutDown(serverChannel: server.channel)
        }
        await dependencies.status.unregisterChatServer(id: configuration.id)
        logger.notice("chat server stopped")
    }

    /// Stops accepting, says goodbye to every client so it reconnects elsewhere or later, and
    /// closes them. Requests already being served finish first: their commits are not abandoned.
    private func shutDown(serverChannel: Channel) {
        logger.notice("chat server shutting down", metadata: ["connections": "\(registry.count)"])
        serverChannel.close(promise: nil)
        var goodbye = WireGoodbye()
        goodbye.reason = "The server is restarting."
        goodbye.retryAfterMs = 1000
        for connection in registry.all() {
            connection.send(.reply(to: 0, .goodbye(goodbye)))
            connection.channel.close(mode: .input, promise: nil)
        }
    }

    // MARK: One connection

    /// What the child-channel initializer hands to `serve`: the channel, and the in-flight limit
    /// its idle handler consults.
    struct AcceptedConnection: Sendable {
        var channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        var inFlight: InFlightLimit
    }

    private func serve(_ asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, inFlight: InFlightLimit) async {
        let state = accepted(asyncChannel.channel, inFlight: inFlight)
        do {
            try await asyncChannel.executeThenClose { inbound, _ in
                guard try await self.admit(state) else { return }
                // Errors are answered inside executeThenClose, while the channel can still carry them.
                do {
                    for try await frame in inbound {
                        guard try await self.handle(frame, state) else { return }
                    }
                } catch let error as ChatError {
                    try await self.closeUnreadable(state, error)
                }
            }
        } catch let error as NIOSSLError {
            // A client that does not trust us, or speaks plain TCP to a TLS port.
            logger.info("TLS connection failed", metadata: ["peer": "\(state.peer)", "error": "\(error)"])
        } catch {
            logger.debug("connection ended", metadata: ["peer": "\(state.peer)", "error": "\(error)"])
        }
        await closed(state)
    }

    /// Counts the connection and starts its Hello deadline.
    @inline(never)
    private func accepted(_ channel: Channel, inFlight: InFlightLimit) -> ConnectionState {
        let helloDeadline = channel.eventLoop.scheduleTask(in: configuration.helloTimeout) {
            channel.close(promise: nil)
        }
        let open = openConnections.wrappingAdd(1, ordering: .relaxed).newValue
        return ConnectionState(channel: channel, peer: channel.remoteAddress?.description ?? "?", inFlight: inFlight,
                               withinCapacity: open <= configuration.maxConnections, helloDeadline: helloDeadline,
                               frameBudget: TokenBucket(configuration.limits.framesPerConnection, nowMs: WallClock.nowMs()))
    }

    /// Past `maxConnections`: tells the client the server is full and returns false.
    @inline(never)
    private func admit(_ state: ConnectionState) async throws -> Bool {
        if state.withinCapacity { return true }
        logger.warning("connection refused: server full", metadata: ["peer": "\(state.peer)", "max": "\(configuration.maxConnections)"])
        try await Self.closeWithError(ChatError(.unavailable, "The server is full. Please try again shortly."), channel: state.channel)
        return false
    }

    /// One frame from the client. Returns false once the connection is to close.
    @inline(never)
    private func handle(_ frame: ByteBuffer, _ state: ConnectionState) async throws -> Bool {
        let envelope = try WireEnvelope.decode(frame: frame)
        if !state.frameBudget.limit.isUnlimited, let wait = state.frameBudget.take(nowMs: WallClock.nowMs()) {
            // A flood is answered, not served: each extra frame costs one small error.
            logger.info("frame refused: rate limited", metadata: ["peer": "\(state.peer)"])
            let error = ChatError.rateLimited("Too many requests on this connection.", retryAfter: wait)
            guard let connection = state.connection else {
                try await Self.closeWithError(error, channel: state.channel, requestID: envelope.requestID)
                return false
            }
            connection.send(.error(error, requestID: envelope.requestID))
            return true
        }
        guard let connection = state.connection else {
            // In a task of its own, like every request but messages: a task keeps the stack its
            // deepest call ever needed until it ends, and the serving task lives as long as the
            // connection (see ConnectionState).
            state.connection = try await Task {
                try await self.hello(envelope, channel: state.channel, peer: state.peer, inFlight: state.inFlight)
            }.value
            state.helloDeadline.cancel()
            return state.connection != nil
        }
        if case .sendMessage(let request) = envelope.payload {
            await pipelineMessage(request, requestID: envelope.requestID, on: connection)
        } else {
            // Messages sent before this request commit first: a block or a removal must not
            // overtake (and refuse) a message that arrived ahead of it.
            await connection.inFlight.waitUntilIdle()
            await Task { await self.respond(to: envelope, on: connection) }.value
        }
        return true
    }

    /// A bad frame: the byte stream can no longer be trusted. Says why and closes.
    @inline(never)
    private func closeUnreadable(_ state: ConnectionState, _ error: ChatError) async throws {
        logger.warning("closing connection", metadata: ["peer": "\(state.peer)", "reason": "\(error.code.rawValue)"])
        try await Self.closeWithError(error, channel: state.channel)
    }

    @inline(never)
    private func closed(_ state: ConnectionState) async {
        state.helloDeadline.cancel()
        openConnections.wrappingSubtract(1, ordering: .relaxed)
        if let connection = state.connection {
            await disconnected(connection)
        }
    }

    /// Authenticates the first frame. Returns nil (after telling the client why) if it fails.
    private func hello(_ envelope: WireEnvelope, channel: Channel, peer: String, inFlight: InFlightLimit) async throws -> ClientConnection? {
        guard case .hello(let hello) = envelope.payload else {
            logger.warning("frame before hello; closing", metadata: ["peer": "\(peer)"])
            try await Self.closeWithError(ChatError(.helloRequired, "The first frame must be Hello."), channel: channel, requestID: envelope.requestID)
            return nil
        }
        guard hello.protocolVersion == ProtocolLimits.protocolVersion else {
            try await Self.closeWithError(
                ChatError(.unsupportedVersion, "This server speaks protocol version \(ProtocolLimits.protocolVersion); please update the client."),
                channel: channel, requestID: envelope.requestID)
            return nil
        }
        let user: UserID
        let record: UserRecord
        do {
            user = try await dependencies.status.authenticate(token: hello.token)
            guard let found = try await dependencies.users.user(id: user) else {
                throw ChatError(.invalidToken, "Your account no longer exists.")
            }
            record = found
        } catch let error as ChatError {
            logger.info("hello refused", metadata: ["peer": "\(peer)", "code": "\(error.code.rawValue)"])
            try await Self.closeWithError(error, channel: channel, requestID: envelope.requestID)
            return nil
        }
        // Everything that can fail comes before the connection is registered, so a failure leaves
        // nothing behind (no registry entry, no phantom presence).
        var ok = WireHelloOk()
        ok.me = WireUser(record, includeEmail: true)
        ok.serverID = configuration.id
        ok.latestUpdateID = try await dependencies.messages.latestUpdateID(of: user)
        ok.heartbeatSeconds = ProtocolLimits.heartbeatSeconds
        let connection = ClientConnection(userID: user, deviceID: String(hello.deviceID.prefix(64)), channel: channel,
                                          inFlight: inFlight, logger: logger)
        // Registered before HelloOk, so no push is lost between the two; the client's sync covers
        // anything older.
        registry.add(connection)
        let cameOnline = await dependencies.status.connectionOpened(user: user, chatServerID: configuration.id)
        connection.send(.reply(to: envelope.requestID, .helloOk(ok)))
        logger.info("session started", metadata: ["user": "\(user)", "device": "\(connection.deviceID)", "peer": "\(peer)"])
        if cameOnline {
            await handler.pushPresence(of: user, online: true)
        }
        return connection
    }

    private func respond(to envelope: WireEnvelope, on connection: ClientConnection) async {
        guard let payload = envelope.payload else {
            connection.send(.error(ChatError(.badRequest, "The frame carries no request."), requestID: envelope.requestID))
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

    /// Messages are checked in arrival order and queued for commit in that order, but the
    /// connection does not wait for the commit: it reads on while earlier messages commit, so one
    /// client's window of messages shares a transaction (and its fsync). Acks go out as commits
    /// land, still in order. At most `maxMessagesInFlight` wait per connection.
    private func pipelineMessage(_ request: WireSendMessage, requestID: UInt64, on connection: ClientConnection) async {
        let message: NewMessage
        do {
            message = try await handler.checkMessage(request, from: connection.userID)
        } catch {
            refuse(error, requestID: requestID, on: connection)
            return
        }
        await connection.inFlight.acquire()
        let handler = handler
        let logger = logger
        // The completion runs on the store's completion queue; pushes and the ack are queued on
        // their connections without waiting for anything.
        dependencies.messages.commit(message) { result in
            defer { connection.inFlight.release() }
            switch result {
            case .success(let committed):
                connection.send(.reply(to: requestID, .messageAck(handler.delivered(committed))))
            case .failure(let error as ChatError):
                logger.info("message refused", metadata: ["user": "\(connection.userID)", "code": "\(error.code.rawValue)"])
                connection.send(.error(error, requestID: requestID))
            case .failure(let error):
                logger.error("message commit failed", metadata: ["user": "\(connection.userID)", "error": "\(error)"])
                connection.send(.error(.internalError(), requestID: requestID))
            }
        }
    }

    private func refuse(_ error: Error, requestID: UInt64, on connection: ClientConnection) {
        if let error = error as? ChatError {
            logger.info("request refused", metadata: ["user": "\(connection.userID)", "code": "\(error.code.rawValue)"])
            connection.send(.error(error, requestID: requestID))
        } else {
            logger.error("request failed", metadata: ["user": "\(connection.userID)", "error": "\(error)"])
            connection.send(.error(.internalError(), requestID: requestID))
        }
    }

    private func disconnected(_ connection: ClientConnection) async {
        registry.remove(connection)
        let wentOffline = await dependencies.status.connectionClosed(user: connection.userID, chatServerID: configuration.id)
        logger.info("session ended", metadata: ["user": "\(connection.userID)", "device": "\(connection.deviceID)"])
        if wentOffline {
            await handler.pushPresence(of: connection.userID, online: false)
        }
    }

    /// Closes every live connection of a user (after a password reset revoked their tokens).
    public func disconnect(user: UserID, reason: ChatError) {
        for connection in registry.connections(of: user) {
            connection.send(.error(reason))
            connection.channel.close(promise: nil)
        }
    }

    private static func closeWithError(_ error: ChatError, channel: Channel, requestID: UInt64 = 0) async throws {
        let frame = try WireEnvelope.error(error, requestID: requestID).framed(allocator: channel.allocator)
        try? await channel.writeAndFlush(frame)
        try? await channel.close()
    }
}
