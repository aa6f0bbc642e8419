import NIOCore

/// Matches Redis's replies to the commands that asked for them. Redis answers a connection's
/// commands in the order it received them, so a queue of promises is all the bookkeeping
/// pipelining needs: a command's promise joins the queue as its bytes go out, and each reply
/// completes the oldest promise. On the channel's event loop only.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = RedisCommand
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()
    private var received = ByteBuffer()
    private let parser = RESPParser()
    private let address: String

    init(address: String) {
        self.address = address
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let command = unwrapOutboundIn(data)
        waiting.append(command.reply)
        context.write(wrapOutboundOut(command.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        do {
            while let value = try parser.next(from: &received) {
                guard let reply = waiting.popFirst() else {
                    throw RedisError.protocolError("a reply nobody asked for")
                }
                reply.succeed(value)
            }
            received.discardReadBytes()
        } catch {
            failAll(error)
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(RedisError.unavailable("The connection to Redis at \(address) closed."))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failAll(RedisError.unavailable("The connection to Redis at \(address) failed: \(error)."))
        context.close(promise: nil)
    }

    private func failAll(_ error: Error) {
        while let reply = waiting.popFirst() { reply.fail(error) }
    }
}

/// A command's bytes and the promise its reply completes.
struct RedisCommand: Sendable {
    var bytes: ByteBuffer
    var reply: EventLoopPromise<RESPValue>
}
