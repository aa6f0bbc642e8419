import ChatProtocol
import Dispatch
import NIOCore
import Synchronization

/// Token sign-ins back to back on one event loop: connect, Hello, wait for HelloOk, close, and
/// the next, until the deadline. Every step is a callback on the lane's loop, with no task per
/// sign-in: an async loop hopped between the loop and the task pool three times a sign-in,
/// which cost the generator (sharing the machine with the server) more than the connection did.
///
/// Unchecked: everything mutable is touched on the lane's event loop only.
final class TokenSignInLane: @unchecked Sendable {
    /// Raised by the first lane that fails, so the others stop too instead of running on.
    final class Stop: Sendable {
        private let raised = Atomic<Bool>(false)
        func raise() { raised.store(true, ordering: .relaxed) }
        var isRaised: Bool { raised.load(ordering: .relaxed) }
    }

    private let stop: Stop
    private let tokens: [(token: String, address: SocketAddress)]
    private let stride: Int
    private let deadline: NIODeadline
    private let eventLoop: EventLoop
    private let latency: LatencyRecorder
    private let finished: EventLoopPromise<Int>
    /// Touched on `eventLoop` only.
    private var next: Int
    private var signedIn = 0

    /// Lane `lane` of `stride` signs in with tokens `lane`, `lane + stride`, … (round and round).
    init(
        tokens: [(token: String, address: SocketAddress)],
        lane: Int,
        stride: Int,
        deadline: NIODeadline,
        eventLoop: EventLoop,
        latency: LatencyRecorder,
        stop: Stop
    ) {
        self.stop = stop
        self.tokens = tokens
        self.next = lane
        self.stride = stride
        self.deadline = deadline
        self.eventLoop = eventLoop
        self.latency = latency
        self.finished = eventLoop.makePromise(of: Int.self)
    }

    /// Runs the lane; the future gives how many sign-ins it completed.
    func run() -> EventLoopFuture<Int> {
        eventLoop.execute { self.signInNext() }
        return finished.futureResult
    }

    private func signInNext() {
        guard NIODeadline.now() < deadline, !stop.isRaised else {
            finished.succeed(signedIn)
            return
        }
        let (token, address) = tokens[next % tokens.count]
        next += stride
        let begin = DispatchTime.now().uptimeNanoseconds
        let helloOk = eventLoop.makePromise(of: Void.self)
        BenchLink.connect(to: address, on: eventLoop, handler: { HelloHandler(token: token, helloOk: helloOk) })
            .flatMap { channel in helloOk.futureResult.map { channel } }
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.latency.record(microseconds: (DispatchTime.now().uptimeNanoseconds - begin) / 1000)
                    self.signedIn += 1
                    channel.close(promise: nil)
                    self.signInNext()
                case .failure(let error):
                    helloOk.fail(error)  // if the connection failed before its handler was added
                    self.stop.raise()
                    self.finished.fail(error)
                }
            }
    }

    /// Says Hello as soon as the connection is up, and reports the answer; closes the connection
    /// if the answer is an error or has not come within `helloTimeout`.
    private final class HelloHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        static let helloTimeout = TimeAmount.seconds(10)
        private let token: String
        private var helloOk: EventLoopPromise<Void>?
        private var timeout: Scheduled<Void>?

        init(token: String, helloOk: EventLoopPromise<Void>) {
            self.token = token
            self.helloOk = helloOk
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let channel = context.channel
            timeout = context.eventLoop.assumeIsolated().scheduleTask(in: Self.helloTimeout) { [self] in
                answer(
                    .failure(
                        ChatError(
                            .unavailable,
                            "No answer to Hello within \(Self.helloTimeout.nanoseconds / 1_000_000_000) s."
                        )
                    )
                )
                channel.close(promise: nil)
            }
        }

        func channelActive(context: ChannelHandlerContext) {
            do {
                let frame = try WireEnvelope.reply(to: 1, .hello(BenchUsers.hello(token: token))).framed(
                    allocator: context.channel.allocator
                )
                context.writeAndFlush(NIOAny(frame), promise: nil)
            } catch {
                answer(.failure(error))
            }
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch try? WireEnvelope.decode(frame: unwrapInboundIn(data)).payload {
            case .helloOk:
                answer(.success(()))
            case .error(let error):
                answer(.failure(error.chatError))
                context.close(promise: nil)
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            answer(.failure(ChatError(.unavailable, "The chat server closed the connection.")))
            context.fireChannelInactive()
        }

        /// Also after a connect that failed, which never made the channel active.
        func handlerRemoved(context: ChannelHandlerContext) {
            answer(.failure(ChatError(.unavailable, "The connection to the chat server failed.")))
        }

        private func answer(_ result: Result<Void, Error>) {
            timeout?.cancel()
            timeout = nil
            helloOk?.completeWith(result)
            helloOk = nil
        }
    }
}
