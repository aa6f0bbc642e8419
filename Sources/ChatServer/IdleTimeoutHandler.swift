import ChatProtocol
import NIOCore

/// Closes a connection that has sent nothing, not even a heartbeat, for the idle timeout, after
/// telling it why.
///
/// Times with its event loop's clock (`EventLoop.now`), not the system's as NIO's
/// `IdleStateHandler` does, so a test on `NIOAsyncTestingChannel` moves time instead of waiting
/// for it. One timer per connection, rescheduled lazily: a read only notes the time.
final class IdleTimeoutHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// While the server still owes this client acks it may have stopped reading from it on
    /// purpose (backpressure): silence then is the server's doing, not the client's.
    private let inFlight: InFlightLimit
    private let timeout: TimeAmount
    private var lastRead = NIODeadline.uptimeNanoseconds(0)
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount, inFlight: InFlightLimit) {
        self.timeout = timeout
        self.inFlight = inFlight
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastRead = context.eventLoop.now
        context.fireChannelRead(data)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        lastRead = context.eventLoop.now
        schedule(context, at: lastRead + timeout)
    }

    private func schedule(_ context: ChannelHandlerContext, at deadline: NIODeadline) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let context = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.value.eventLoop.scheduleTask(deadline: deadline) {
            handler.value.check(context.value)
        }
    }

    private func check(_ context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        let due = lastRead + timeout
        if now < due {
            // Read since the timer was set.
            schedule(context, at: due)
            return
        }
        if inFlight.isBusy {
            schedule(context, at: now + timeout)
            return
        }
        timer = nil
        let error = ChatError(
            .idleTimeout,
            "Nothing was received for \(timeout.nanoseconds / 1_000_000_000) s; closing."
        )
        if let frame = try? WireEnvelope.error(error).framed(allocator: context.channel.allocator) {
            context.writeAndFlush(NIOAny(frame), promise: nil)
        }
        context.close(promise: nil)
    }
}
