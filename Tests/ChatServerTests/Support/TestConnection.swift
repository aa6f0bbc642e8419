import ChatProtocol
import NIOCore
import NIOEmbedded
import Synchronization

/// Stands where the socket would be, at the head of a connection's pipeline: counts the reads
/// the connection asks the socket for, and can hold writes back, as a socket whose peer has
/// stopped reading does (a write completes only when the test lets it).
// @unchecked: `held` is touched on the event loop only (write, release); the counters are atomic.
final class SocketProbe: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer

    private let readCount = Atomic(0)
    private let holding = Atomic(false)
    private let heldCount = Atomic(0)
    private var held: [(NIOAny, EventLoopPromise<Void>?)] = []

    var reads: Int { readCount.load(ordering: .relaxed) }
    var heldWrites: Int { heldCount.load(ordering: .relaxed) }

    func read(context: ChannelHandlerContext) {
        readCount.add(1, ordering: .relaxed)
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard holding.load(ordering: .relaxed) else {
            context.write(data, promise: promise)
            return
        }
        held.append((data, promise))
        heldCount.add(1, ordering: .relaxed)
    }

    /// From now on, writes wait until `release`.
    func holdWrites() {
        holding.store(true, ordering: .relaxed)
    }

    /// Lets the held writes through, and every later one. On the event loop.
    func release(context: ChannelHandlerContext) {
        holding.store(false, ordering: .relaxed)
        let writes = held
        held = []
        heldCount.store(0, ordering: .relaxed)
        for (data, promise) in writes { context.write(data, promise: promise) }
        context.flush()
    }
}

/// One connection under test: bytes in as the client would send them, envelopes out as the
/// client would read them.
final class TestConnection {
    let channel: NIOAsyncTestingChannel
    let probe: SocketProbe
    private var received = ByteBuffer()

    init(channel: NIOAsyncTestingChannel, probe: SocketProbe) {
        self.channel = channel
        self.probe = probe
    }

    /// Writes the envelopes as one burst of bytes, as a pipelining client's socket delivers them.
    func send(_ envelopes: [WireEnvelope]) async throws {
        var bytes = ByteBuffer()
        for envelope in envelopes {
            var frame = try envelope.framed()
            bytes.writeBuffer(&frame)
        }
        try await channel.writeInbound(bytes)
    }

    func send(_ envelope: WireEnvelope) async throws {
        try await send([envelope])
    }

    /// The next envelope the connection writes; fails after `seconds`.
    func next(within seconds: Int = 10) async throws -> WireEnvelope {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            if let frame = try FrameDecoder.nextFrame(
                from: &received,
                maxFrameBytes: ProtocolLimits.maxServerFrameBytes
            ) {
                return try WireEnvelope.decode(frame: frame)
            }
            if var more = try await channel.readOutbound(as: ByteBuffer.self) {
                received.writeBuffer(&more)
                continue
            }
            guard ContinuousClock.now < deadline else { throw TestFailure("nothing written in \(seconds) s") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// The reply to `requestID`, passing over pushes (request id 0) written before it.
    func reply(to requestID: UInt64) async throws -> WireEnvelope {
        while true {
            let envelope = try await next()
            if envelope.requestID == requestID { return envelope }
        }
    }

    /// Whether the connection has written nothing that has not been read.
    func hasNothingMore() async throws -> Bool {
        guard received.readableBytes == 0 else { return false }
        guard var more = try await channel.readOutbound(as: ByteBuffer.self) else { return true }
        received.writeBuffer(&more)
        return false
    }

    /// Waits until the channel has closed; fails after `seconds`.
    func waitUntilClosed(within seconds: Int = 10) async throws {
        try await waitUntil(within: seconds) { !channel.isActive }
    }

    /// Waits until `condition` holds; fails after `seconds`.
    func waitUntil(within seconds: Int = 10, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TestFailure("condition not met in \(seconds) s") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Asks for a read as NIO does after each read completes.
    func askForRead() async throws {
        try await channel.eventLoop.submit { [channel] in channel.pipeline.read() }.get()
    }

    /// Signs alice (or whoever `token` is for) in and returns the HelloOk.
    func hello(_ fixture: ConnectionFixture, token: String? = nil) async throws -> WireHelloOk {
        try await send(ConnectionFixture.hello(token: token ?? fixture.aliceToken))
        let reply = try await next()
        guard case .helloOk(let ok) = reply.payload else { throw TestFailure("no HelloOk: \(reply)") }
        return ok
    }

    func releaseWrites() async throws {
        try await channel.eventLoop.submit { [channel, probe] in
            probe.release(context: try channel.pipeline.syncOperations.context(handler: probe))
        }.get()
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
