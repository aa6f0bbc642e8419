import ChatProtocol
import NIOCore

/// Closes a connection that has sent nothing, not even a heartbeat, for the idle timeout, after
/// telling it why. Sits behind NIO's `IdleStateHandler`, which raises the event.
final class IdleTimeoutHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    /// While the server still owes this client acks it may have stopped reading from it on
    /// purpose (backpressure): silence then is the server's doing, not the client's.
    private let inFlight: InFlightLimit

    init(inFlight: InFlightLimit) {
        self.inFlight = inFlight
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if inFlight.isBusy { return }
        let error = ChatError(.idleTimeout, "Nothing was received for \(ProtocolLimits.idleTimeoutSeconds) s; closing.")
        if let frame = try? WireEnvelope.error(error).framed(allocator: context.channel.allocator) {
            context.writeAndFlush(NIOAny(frame), promise: nil)
        }
        context.close(promise: nil)
    }
}
