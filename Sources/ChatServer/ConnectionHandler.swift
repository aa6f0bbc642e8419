import ChatProtocol
import ChatServices
import NIOCore
import NIOSSL

/// Serves one client connection on its channel's event loop.
///
/// There is no task per connection: an idle connection is this handler, NIO's channel and a
/// receive buffer (a task parked in a read loop kept about 8 KiB of stack; see README →
/// Performance). Frames arrive from `FrameDecoder` one at a time. Messages are checked and queued
/// for commit right here, without leaving the loop, so a client's window of messages shares
/// commits. Hello and the other requests, which wait on the database, each run in a short task.
/// When to serve, when to read and when to close is decided by `ConnectionStateMachine`; this
/// handler turns NIO's events into its events and carries out the actions it returns.
///
/// Only its event loop touches it; work off the loop comes back through `NIOLoopBound`.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Sent down the pipeline (`triggerUserOutboundEvent`) when the server shuts down: finish what
    /// was read, wait for in-flight commits, say goodbye, close.
    struct ShutDown {}

    private let server: ChatServer
    let inFlight: InFlightLimit
    private var frameBudget: TokenBucket
    private var helloDeadline: Scheduled<Void>?
    private var state = ConnectionStateMachine()
    /// Set once Hello succeeds.
    private var connection: ClientConnection?
    /// Why Hello was refused, for `.refuseHello`.
    private var helloRefusal: (error: ChatError, requestID: UInt64)?
    private var context: ChannelHandlerContext?

    init(server: ChatServer, inFlight: InFlightLimit, frameBudget: TokenBucket) {
        self.server = server
        self.inFlight = inFlight
        self.frameBudget = frameBudget
    }

    // MARK: NIO events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        let channel = context.channel
        helloDeadline = context.eventLoop.scheduleTask(in: server.configuration.helloTimeout) {
            channel.close(promise: nil)
        }
        if let refusal = server.opened(channel) {
            closeWithError(refusal, requestID: 0, context: context)
        }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        run(state.channelInactive(), context: context)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        run(state.frameRead(unwrapInboundIn(data)), context: context)
    }

    func read(context: ChannelHandlerContext) {
        run(state.readRequested(), context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let error as ChatError:
            // From the frame decoder: the byte stream can no longer be trusted. Frames read
            // before the bad one are served first.
            run(state.decodeFailed(error), context: context)
        case ByteToMessageDecoderError.dataReceivedInErrorState:
            // More bytes after the bad frame: already being answered (or closed).
            run(state.bytesAfterBadFrame(), context: context)
        case let error as NIOSSLError:
            // A client that does not trust us, or speaks plain TCP to a TLS port.
            server.logger.info(
                "TLS connection failed",
                metadata: ["peer": "\(Self.peer(of: context.channel))", "error": "\(error)"]
            )
            run(state.transportFailed(), context: context)
        default:
            server.logger.debug(
                "connection ended",
                metadata: ["peer": "\(Self.peer(of: context.channel))", "error": "\(error)"]
            )
            run(state.transportFailed(), context: context)
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is ShutDown else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed()
        run(state.shutdownRequested(), context: context)
    }

    // MARK: Carrying out the state machine's actions

    /// Does what the state machine says, and what it says after that, until it says wait.
    private func run(_ first: ConnectionStateMachine.Action, context: ChannelHandlerContext) {
        var action = first
        while true {
            switch action {
            case .wait:
                return
            case .serveHello(let frame):
                serveHello(frame, context: context)
            case .serve(let frame):
                serve(frame, context: context)
            case .read:
                context.read()
            case .closeUnreadable(let error):
                closeUnreadable(error, context: context)
            case .close:
                context.close(promise: nil)
            case .refuseHello:
                let refusal = helloRefusal ?? (ChatError.internalError(), 0)
                closeWithError(refusal.error, requestID: refusal.requestID, context: context)
            case .sayGoodbyeAndClose:
                sayGoodbyeAndClose(context: context)
            case .endSession:
                helloDeadline?.cancel()
                helloDeadline = nil
                server.closed(context.channel, connection: connection)
            }
            action = state.next()
        }
    }

    /// The first frame: checked for a flood here, authenticated in a task.
    private func serveHello(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        guard let envelope = decode(frame, context: context), admit(envelope, context: context) else { return }
        state.started(.hello)
        let server = server
        let channel = context.channel
        let inFlight = inFlight
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        Task {
            let outcome = await server.hello(envelope, channel: channel, inFlight: inFlight)
            channel.eventLoop.execute { handler.value.helloEnded(outcome, channel: channel) }
        }
    }

    private func serve(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        guard let envelope = decode(frame, context: context), admit(envelope, context: context),
            let connection
        else { return }
        if case .sendMessage(let request) = envelope.payload {
            pipelineMessage(request, requestID: envelope.requestID, on: connection, context: context)
        } else {
            startRequest(envelope, on: connection, context: context)
        }
    }

    private func decode(_ frame: ByteBuffer, context: ChannelHandlerContext) -> WireEnvelope? {
        do {
            return try WireEnvelope.decode(frame: frame)
        } catch {
            closeUnreadable(
                error as? ChatError ?? ChatError(.malformedFrame, "The frame could not be decoded."),
                context: context
            )
            return nil
        }
    }

    /// Takes a frame from the connection's budget; past it, answers (or, before Hello, closes)
    /// instead of serving: a flood costs one small error per extra frame.
    private func admit(_ envelope: WireEnvelope, context: ChannelHandlerContext) -> Bool {
        guard !frameBudget.limit.isUnlimited, let wait = frameBudget.take(nowMs: server.clock.nowMs()) else {
            return true
        }
        server.logger.info("frame refused: rate limited", metadata: ["peer": "\(Self.peer(of: context.channel))"])
        let error = ChatError.rateLimited("Too many requests on this connection.", retryAfter: wait)
        if let connection {
            connection.send(.error(error, requestID: envelope.requestID))
        } else {
            closeWithError(error, requestID: envelope.requestID, context: context)
        }
        return false
    }

    /// Checks the message and queues it for commit, without waiting for the commit: the ack goes
    /// out when it lands. With every in-flight slot taken, the connection waits for one.
    private func pipelineMessage(
        _ request: WireSendMessage,
        requestID: UInt64,
        on connection: ClientConnection,
        context: ChannelHandlerContext
    ) {
        guard let message = server.checkMessage(request, requestID: requestID, on: connection) else { return }
        if inFlight.tryAcquire() {
            server.commit(message, requestID: requestID, on: connection)
            return
        }
        let server = server
        let resume = resumer(context)
        let granted = inFlight.acquire(orWhenGranted: {
            server.commit(message, requestID: requestID, on: connection)
            resume()
        })
        if granted {
            // A slot came free between the two calls: no wait after all.
            server.commit(message, requestID: requestID, on: connection)
        } else {
            // Safe after the acquire: `resume` runs on this event loop, after this turn.
            state.started(.inFlightSlot)
        }
    }

    /// Anything but a message: after the messages before it have committed (a block must not
    /// overtake and refuse a message sent ahead of it), in a task of its own.
    private func startRequest(_ envelope: WireEnvelope, on connection: ClientConnection, context: ChannelHandlerContext)
    {
        state.started(.request)
        let server = server
        let inFlight = inFlight
        let resume = resumer(context)
        Task {
            await inFlight.waitUntilIdle()
            await server.respond(to: envelope, on: connection)
            resume()
        }
    }

    private func helloEnded(_ outcome: ChatServer.HelloOutcome, channel: Channel) {
        helloDeadline?.cancel()
        helloDeadline = nil
        let accepted: Bool
        switch outcome {
        case .accepted(let connection):
            self.connection = connection
            accepted = true
        case .refused(let error, let requestID):
            helloRefusal = (error, requestID)
            accepted = false
        }
        let action = state.helloEnded(accepted: accepted, channelIsActive: channel.isActive)
        if let context {
            run(action, context: context)
        } else if action == .endSession {
            // Removed from the pipeline already: the session still has to end.
            server.closed(channel, connection: connection)
        } else if action != .wait {
            // No longer in the pipeline, so no `channelInactive` will come here: end it now.
            channel.close(promise: nil)
            server.closed(channel, connection: connection)
        }
    }

    /// A callback, callable from any thread, that ends the current work and serves on, on the
    /// event loop.
    private func resumer(_ context: ChannelHandlerContext) -> @Sendable () -> Void {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        return {
            eventLoop.execute {
                let handler = handler.value
                let action = handler.state.finished()
                if let context = handler.context { handler.run(action, context: context) }
            }
        }
    }

    /// What was read has been served; once its messages have committed, Goodbye goes out behind
    /// their acks and the connection closes when it is written.
    private func sayGoodbyeAndClose(context: ChannelHandlerContext) {
        guard let connection else {
            let channel = context.channel
            context.eventLoop.execute { channel.close(promise: nil) }
            return
        }
        inFlight.whenIdle {
            var goodbye = WireGoodbye()
            goodbye.reason = "The server is restarting."
            goodbye.retryAfterMs = 1000
            connection.sendThenClose(.reply(to: 0, .goodbye(goodbye)))
        }
    }

    // MARK: Closing

    /// A bad frame: the byte stream can no longer be trusted. Says why and closes.
    private func closeUnreadable(_ error: ChatError, context: ChannelHandlerContext) {
        server.logger.warning(
            "closing connection",
            metadata: ["peer": "\(Self.peer(of: context.channel))", "reason": "\(error.code.rawValue)"]
        )
        closeWithError(error, requestID: 0, context: context)
    }

    private func closeWithError(_ error: ChatError, requestID: UInt64, context: ChannelHandlerContext) {
        state.closing()
        let envelope = WireEnvelope.error(error, requestID: requestID)
        if let connection {
            // Behind whatever the connection has queued.
            connection.sendThenClose(envelope)
            return
        }
        let channel = context.channel
        guard let frame = try? envelope.framed(allocator: channel.allocator) else {
            context.close(promise: nil)
            return
        }
        context.writeAndFlush(wrapOutboundOut(frame)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// For log lines only: formatting the address is not worth keeping per connection.
    static func peer(of channel: Channel) -> String {
        channel.remoteAddress?.description ?? "?"
    }
}
