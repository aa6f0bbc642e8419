import ChatProtocol
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// One TCP connection to a chat server: frames out, frames in, replies matched to requests by
/// request id, everything else (pushes) handed out on `pushes`.
///
/// A message's ack is also the sender's update for it (the server pushes it to the sender's
/// other devices, not to this connection): its update goes out on `pushes` as well, as an
/// `UpdatePush` at the ack's place in the stream, so whoever applies pushes in order sees the
/// update log without a gap, as if the push had come.
///
/// It knows nothing of sessions or reconnecting; `ChatSession` builds those on top.
public actor ChatConnection {
    public nonisolated let pushes: AsyncStream<WireEnvelope>
    private let pushContinuation: AsyncStream<WireEnvelope>.Continuation
    private let channel: Channel
    private let writer: FrameWriter
    private var pending: [UInt64: CheckedContinuation<WireEnvelope.OneOf_Payload, Error>] = [:]
    /// Requests `requests(_:)` sent ahead and has not begun to wait for yet, and the replies that
    /// came for them before it did.
    private var sentAhead: Set<UInt64> = []
    private var earlyReplies: [UInt64: Result<WireEnvelope.OneOf_Payload, Error>] = [:]
    private var nextRequestID: UInt64 = 1
    private var closedError: ChatError?
    private let logger: Logger

    private init(channel: Channel, logger: Logger) {
        self.channel = channel
        self.writer = FrameWriter(channel: channel)
        self.logger = logger
        (pushes, pushContinuation) = AsyncStream.makeStream(of: WireEnvelope.self)
    }

    /// Connects (over TLS when `tls` is given, verifying the server's certificate); throws
    /// `unavailable` if nothing answers at that address or the certificate is not trusted.
    public static func connect(
        host: String,
        port: Int,
        tls: NIOSSLContext? = nil,
        logger: Logger,
        group: EventLoopGroup = NIOSingletons.posixEventLoopGroup
    ) async throws -> ChatConnection {
        let asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        let handshake: EventLoopFuture<Void>?
        // An IP address cannot be sent as SNI; the certificate's IP entries are checked instead.
        let serverHostname: String? = (try? SocketAddress(ipAddress: host, port: 0)) != nil ? nil : host
        do {
            (asyncChannel, handshake) = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(5))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        var handshake: EventLoopFuture<Void>?
                        if let tls {
                            let promise = channel.eventLoop.makePromise(of: Void.self)
                            try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                            try pipeline.addHandler(TLSHandshakeWaiter(promise))
                            handshake = promise.futureResult
                            channel.eventLoop.scheduleTask(in: .seconds(10)) {
                                promise.fail(ChannelError.connectTimeout(.seconds(10)))
                            }
                        }
                        try pipeline.addHandler(
                            ByteToMessageHandler(FrameDecoder(maxFrameBytes: ProtocolLimits.maxServerFrameBytes))
                        )
                        return (
                            try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel),
                            handshake
                        )
                    }
                }
        } catch {
            throw ChatError(.unavailable, "Cannot reach the chat server at \(host):\(port).")
        }
        do {
            try await handshake?.get()
        } catch {
            // Closed through the async channel, which finishes its writer: dropping an unfinished
            // NIOAsyncChannel traps.
            try? await asyncChannel.executeThenClose { _, _ in }
            throw ClientTLS.describe(error, server: "\(host):\(port)")
                ?? ChatError(.unavailable, "The secure connection to \(host):\(port) failed.")
        }
        let connection = ChatConnection(channel: asyncChannel.channel, logger: logger)
        Task { await connection.readLoop(asyncChannel) }
        return connection
    }

    private func readLoop(_ asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        var reason = ChatError(.unavailable, "The connection to the chat server was lost.")
        do {
            try await asyncChannel.executeThenClose { inbound, _ in
                for try await frame in inbound {
                    try self.received(WireEnvelope.decode(frame: frame))
                }
            }
        } catch let error as ChatError {
            reason = error
        } catch {
            logger.debug("connection read failed", metadata: ["error": "\(error)"])
        }
        didClose(reason)
    }

    private func received(_ envelope: WireEnvelope) {
        // The ack is the sending connection's copy of its message: it goes into the push stream
        // where it arrived, so a later push of the same conversation is not taken for a gap.
        if case .messageAck(let ack) = envelope.payload, ack.hasMessage, !ack.duplicate {
            var push = WireMessagePush()
            push.message = ack.message
            pushContinuation.yield(.reply(to: 0, .messagePush(push)))
        }
        if envelope.requestID != 0, let continuation = pending.removeValue(forKey: envelope.requestID) {
            continuation.resume(with: Self.reply(envelope))
            return
        }
        if envelope.requestID != 0, sentAhead.remove(envelope.requestID) != nil {
            earlyReplies[envelope.requestID] = Self.reply(envelope)
            return
        }
        // A reply nobody waits for any more (its request timed out) is dropped.
        guard envelope.requestID == 0 else { return }
        if case .error(let error) = envelope.payload {
            // A connection-level error (bad token, idle, …): the close that follows carries it.
            closedError = error.chatError
        }
        pushContinuation.yield(envelope)
    }

    /// A reply as its request returns it: a server `Error` is thrown as `ChatError`.
    private static func reply(_ envelope: WireEnvelope) -> Result<WireEnvelope.OneOf_Payload, Error> {
        if case .error(let error) = envelope.payload { return .failure(error.chatError) }
        guard let payload = envelope.payload else {
            return .failure(ChatError(.malformedFrame, "The server sent an empty reply."))
        }
        return .success(payload)
    }

    private func didClose(_ reason: ChatError) {
        let error = closedError ?? reason
        closedError = error
        for continuation in pending.values { continuation.resume(throwing: error) }
        pending.removeAll()
        pushContinuation.finish()
    }

    /// Why the connection closed, once it has.
    public var closeReason: ChatError? { closedError }

    /// Sends a request and waits for its reply. A server `Error` reply is thrown as `ChatError`;
    /// with a `timeout` (seconds), no reply in time throws `unavailable`.
    public func request(
        _ payload: WireEnvelope.OneOf_Payload,
        timeout: Double? = nil
    ) async throws -> WireEnvelope.OneOf_Payload {
        if let closedError, !channel.isActive { throw closedError }
        let id = nextRequestID
        nextRequestID += 1
        let frame = try WireEnvelope.reply(to: id, payload).framed(allocator: channel.allocator)
        let watchdog = timeout.map { seconds in
            Task {
                try await Task.sleep(for: .seconds(seconds))
                self.failRequest(id, ChatError(.unavailable, "The chat server stopped answering."))
            }
        }
        defer { watchdog?.cancel() }
        return try await withCheckedThrowingContinuation { continuation in
            pending[id] = continuation
            // Without a promise: a write that fails means the channel closed, and `didClose`
            // fails every pending request with the reason.
            writer.write(frame)
        }
    }

    /// Sends the requests at once, in order (consecutive ids), and waits for all their replies:
    /// one round trip instead of one each (connecting sends several lists that do not depend on
    /// each other). Throws the first failure, in the requests' order.
    public func requests(_ payloads: [WireEnvelope.OneOf_Payload]) async throws -> [WireEnvelope.OneOf_Payload] {
        if let closedError, !channel.isActive { throw closedError }
        let ids = payloads.indices.map { nextRequestID + UInt64($0) }
        nextRequestID += UInt64(payloads.count)
        // Framed first, so a payload that cannot be framed sends none of them.
        let frames = try zip(ids, payloads).map { id, payload in
            try WireEnvelope.reply(to: id, payload).framed(allocator: channel.allocator)
        }
        defer {
            for id in ids {
                sentAhead.remove(id)
                earlyReplies.removeValue(forKey: id)
            }
        }
        sentAhead.formUnion(ids)
        for frame in frames { writer.write(frame) }
        var replies: [WireEnvelope.OneOf_Payload] = []
        for id in ids {
            if let early = earlyReplies.removeValue(forKey: id) {
                replies.append(try early.get())
                continue
            }
            // Closed meanwhile: `didClose` failed only the requests already waiting.
            if let closedError, !channel.isActive { throw closedError }
            replies.append(
                try await withCheckedThrowingContinuation { continuation in
                    sentAhead.remove(id)
                    pending[id] = continuation
                }
            )
        }
        return replies
    }

    /// Whether the server answers a ping within `timeout` seconds.
    /// Pings; the answer carries the user's latest update id. nil when none came in time.
    public func ping(timeout: Double) async -> WirePong? {
        guard case .pong(let pong) = try? await request(.ping(WirePing()), timeout: timeout) else { return nil }
        return pong
    }

    private func failRequest(_ id: UInt64, _ error: ChatError) {
        pending.removeValue(forKey: id)?.resume(throwing: error)
    }

    /// Writes raw bytes (tests use it to send garbage).
    public func sendRaw(_ bytes: [UInt8]) async throws {
        // Through the same writer as requests, so raw bytes keep their place among them.
        try await writer.writeAndWait(ByteBuffer(bytes: bytes))
    }

    public func close() {
        channel.close(promise: nil)
    }
}
