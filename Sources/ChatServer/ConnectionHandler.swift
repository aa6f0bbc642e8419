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
/// commits. Hello and the other requests, which wait on the database, each run in a short task;
/// while one runs, later frames wait in `pending` and the handler asks the socket for nothing
/// more (it withholds `read`), which is also how a client that outruns its in-flight limit is
/// slowed down. So a connection's requests take effect in the order they arrived.
///
/// Only its event loop touches it; work off the loop comes back through `NIOLoopBound`.
final class ConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Sent down the pipeline (`triggerUserOutboundEvent`) when the server shuts down: finish what
    /// was read, wait for in-flight commits, say goodbye, close.
    struct ShutDown {}

    private enum Phase {
        case open
        /// Shutting down: no more reads; closes once what was read is served.
        case draining
        /// Closing or closed: nothing more is served.
        case closing
    }

    private let server: ChatServer
    let inFlight: InFlightLimit
    private var frameBudget: TokenBucket
    private var helloDeadline: Scheduled<Void>?
    /// Set once Hello succeeds.
    private var connection: ClientConnection?
    private var phase = Phase.open
    /// Frames read while the handler was busy, in arrival order; `pending[pendingStart...]` wait.
    private var pending: [ByteBuffer] = []
    private var pendingStart = 0
    /// A request is being served off the loop, or a message waits for an in-flight slot.
    private var busy = false
    /// NIO asked for a read while the handler was busy; it is passed on once the handler is not.
    private var readWithheld = false
    /// The frame decoder failed after frames that still wait: said once those are served.
    private var unreadable: ChatError?
    private var helloRunning = false
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
        phase = .closing
        pending = []
        pendingStart = 0
        // While Hello runs, its end does this (it may yet register a connection to end).
        if !helloRunning {
            helloDeadline?.cancel()
            helloDeadline = nil
            server.closed(context.channel, connection: connection)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard phase != .closing else { return }
        pending.append(unwrapInboundIn(data))
        serveFrames(context)
    }

    func read(context: ChannelHandlerContext) {
        if busy || hasPending || phase != .open {
            readWithheld = true
        } else {
            context.read()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        switch error {
        case let error as ChatError:
            // From the frame decoder: the byte stream can no longer be trusted. Frames read
            // before the bad one are served first.
            if busy || hasPending {
                unreadable = error
            } else {
                closeUnreadable(error, context: context)
            }
        case ByteToMessageDecoderError.dataReceivedInErrorState:
            // More bytes after the bad frame: already being answered (or closed).
            if unreadable == nil, phase != .closing {
                phase = .closing
                context.close(promise: nil)
            }
        case let error as NIOSSLError:
            // A client that does not trust us, or speaks plain TCP to a TLS port.
            server.logger.info(
                "TLS connection failed",
                metadata: ["peer": "\(Self.peer(of: context.channel))", "error": "\(error)"]
            )
            phase = .closing
            context.close(promise: nil)
        default:
            server.logger.debug(
                "connection ended",
                metadata: ["peer": "\(Self.peer(of: context.channel))", "error": "\(error)"]
            )
            phase = .closing
            context.close(promise: nil)
        }
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is ShutDown else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        promise?.succeed()
        guard phase == .open else { return }
        phase = .draining
        serveFrames(context)
    }

    // MARK: Serving frames in order

    private var hasPending: Bool { pendingStart < pending.count }

    /// Serves waiting frames until one sends work off the loop, then reads on (or finishes).
    private func serveFrames(_ context: ChannelHandlerContext) {
        while !busy, phase != .closing, hasPending {
            let frame = pending[pendingStart]
            pendingStart += 1
            if pendingStart == pending.count {
                pending.removeAll(keepingCapacity: pending.count <= 16)
                pendingStart = 0
            }
            serve(frame, context: context)
        }
        guard !busy, phase != .closing else { return }
        if let error = unreadable {
            unreadable = nil
            closeUnreadable(error, context: context)
        } else if phase == .draining {
            // What was read has been served; once its messages have committed, Goodbye goes out
            // behind their acks and the connection closes when it is written.
            phase = .closing
            if let connection {
                inFlight.whenIdle {
                    var goodbye = WireGoodbye()
                    goodbye.reason = "The server is restarting."
                    goodbye.retryAfterMs = 1000
                    connection.sendThenClose(.reply(to: 0, .goodbye(goodbye)))
                }
            } else {
                let channel = context.channel
                context.eventLoop.execute { channel.close(promise: nil) }
            }
        } else if readWithheld {
            readWithheld = false
            context.read()
        }
    }

    private func serve(_ frame: ByteBuffer, context: ChannelHandlerContext) {
        let envelope: WireEnvelope
        do {
            envelope = try WireEnvelope.decode(frame: frame)
        } catch {
            closeUnreadable(
                error as? ChatError ?? ChatError(.malformedFrame, "The frame could not be decoded."),
                context: context
            )
            return
        }
        if !frameBudget.limit.isUnlimited, let wait = frameBudget.take(nowMs: WallClock.nowMs()) {
            // A flood is answered, not served: each extra frame costs one small error.
            server.logger.info("frame refused: rate limited", metadata: ["peer": "\(Self.peer(of: context.channel))"])
            let error = ChatError.rateLimited("Too many requests on this connection.", retryAfter: wait)
            if let connection {
                connection.send(.error(error, requestID: envelope.requestID))
            } else {
                closeWithError(error, requestID: envelope.requestID, context: context)
            }
            return
        }
        guard let connection else {
            startHello(envelope, context: context)
            return
        }
        if case .sendMessage(let request) = envelope.payload {
            pipelineMessage(request, requestID: envelope.requestID, on: connection, context: context)
        } else {
            startRequest(envelope, on: connection, context: context)
        }
    }

    /// Checks the message and queues it for commit, without waiting for the commit: the ack goes
    /// out when it lands. With every in-flight slot taken, the handler waits (busy) for one.
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
        busy = true
        let server = server
        let resume = resumer(context)
        if inFlight.acquire(orWhenGranted: {
            server.commit(message, requestID: requestID, on: connection)
            resume()
        }) {
            server.commit(message, requestID: requestID, on: connection)
            busy = false
        }
    }

    /// Anything but a message: after the messages before it have committed (a block must not
    /// overtake and refuse a message sent ahead of it), in a task of its own.
    private func startRequest(_ envelope: WireEnvelope, on connection: ClientConnection, context: ChannelHandlerContext)
    {
        busy = true
        let server = server
        let inFlight = inFlight
        let resume = resumer(context)
        Task {
            await inFlight.waitUntilIdle()
            await server.respond(to: envelope, on: connection)
            resume()
        }
    }

    private func startHello(_ envelope: WireEnvelope, context: ChannelHandlerContext) {
        busy = true
        helloRunning = true
        let server = server
        let channel = context.channel
        let inFlight = inFlight
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        Task {
            let outcome = await server.hello(envelope, channel: channel, inFlight: inFlight)
            channel.eventLoop.execute { handler.value.helloEnded(outcome, channel: channel) }
        }
    }

    private func helloEnded(_ outcome: ChatServer.HelloOutcome, channel: Channel) {
        helloRunning = false
        helloDeadline?.cancel()
        helloDeadline = nil
        let connection: ClientConnection?
        switch outcome {
        case .accepted(let accepted):
            connection = accepted
        case .refused(let error, let requestID):
            if let context, channel.isActive, phase != .closing {
                // Says why and closes; `channelInactive` then ends it.
                closeWithError(error, requestID: requestID, context: context)
                return
            }
            connection = nil
        }
        self.connection = connection
        guard connection != nil, let context, channel.isActive, phase != .closing else {
            // Refused after the channel closed, or the channel closed while Hello ran. Whichever
            // comes last of this and `channelInactive` ends the session.
            phase = .closing
            if channel.isActive {
                channel.close(promise: nil)
            } else {
                server.closed(channel, connection: connection)
            }
            return
        }
        busy = false
        serveFrames(context)
    }

    /// A callback, callable from any thread, that ends `busy` and serves on, on the event loop.
    private func resumer(_ context: ChannelHandlerContext) -> @Sendable () -> Void {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        return {
            eventLoop.execute {
                let handler = handler.value
                handler.busy = false
                if let context = handler.context { handler.serveFrames(context) }
            }
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
        phase = .closing
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
