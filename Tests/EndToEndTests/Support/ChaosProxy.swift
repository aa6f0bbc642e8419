import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy in front of a chat server, for the fault test: clients connect to it (the server
/// advertises it), it relays bytes both ways, and `cut` closes live connections at random, as a
/// flaky network would. While the server is down, connections are accepted and closed at once.
/// The proxy's port stays while the server behind it restarts on new ports (`retarget`), so the
/// test never has to reuse a port another test may have taken.
final class ChaosProxy: Sendable {
    let port: Int
    private let serverChannel: Channel
    private let live: LiveChannels
    private let upstream: Upstream

    final class Upstream: Sendable {
        let port: Atomic<Int>
        init(_ port: Int) { self.port = Atomic(port) }
    }

    final class LiveChannels: Sendable {
        private let channels = Mutex<[ObjectIdentifier: Channel]>([:])
        func withLock<T>(_ body: (inout [ObjectIdentifier: Channel]) -> T) -> T { channels.withLock { body(&$0) } }
    }

    static func start(upstreamPort: Int) async throws -> ChaosProxy {
        let live = LiveChannels()
        let upstream = Upstream(upstreamPort)
        let channel = try await ServerBootstrap(group: NIOSingletons.posixEventLoopGroup)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .connectTimeout(.seconds(2))
                    .connect(host: "127.0.0.1", port: upstream.port.load(ordering: .relaxed))
                    .flatMap { outbound in
                        let (a, b) = GlueHandler.matchedPair()
                        return inbound.pipeline.addHandler(a).and(outbound.pipeline.addHandler(b)).map { _ in
                            let id = ObjectIdentifier(inbound)
                            live.withLock { $0[id] = inbound }
                            inbound.closeFuture.whenComplete { _ in _ = live.withLock { $0.removeValue(forKey: id) } }
                        }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ChaosProxy(serverChannel: channel, live: live, upstream: upstream)
    }

    private init(serverChannel: Channel, live: LiveChannels, upstream: Upstream) {
        self.serverChannel = serverChannel
        self.port = serverChannel.localAddress?.port ?? 0
        self.live = live
        self.upstream = upstream
    }

    /// New connections go to `port` from now on (the server restarted there).
    func retarget(to port: Int) {
        upstream.port.store(port, ordering: .relaxed)
    }

    var connectionCount: Int { live.withLock { $0.count } }

    /// Closes up to `count` live connections chosen at random; returns how many it closed.
    @discardableResult
    func cut(_ count: Int) -> Int {
        let victims = live.withLock { Array($0.values.shuffled().prefix(count)) }
        for channel in victims { channel.close(promise: nil) }
        return victims.count
    }

    func stop() async {
        try? await serverChannel.close()
        cut(Int.max)
    }
}

/// Relays everything read on one channel to its partner, with backpressure (a side reads only
/// while its partner can write) and closes travelling both ways. Both sides share an event loop.
// @unchecked: its state is touched on the shared event loop only.
final class GlueHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: GlueHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func matchedPair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler()
        let second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.context?.write(data, promise: nil) }
    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }
    func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }
    func errorCaught(context: ChannelHandlerContext, error: Error) { partner?.context?.close(promise: nil) }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let partner, partner.pendingRead {
            partner.pendingRead = false
            partner.context?.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if partner?.context?.channel.isWritable ?? true {
            context.read()
        } else {
            pendingRead = true
        }
    }
}
