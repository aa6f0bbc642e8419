import ChatProtocol
import Dispatch
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// One user's chat connection during a messaging run, driven entirely on its event loop: an ack
/// sends the next message of the window, a push is timed the moment it is decoded, writes are
/// flushed once per read. No task, actor or continuation per message, so the load generator
/// takes as little of the machine it shares with the server as it can (the client library's
/// `ChatConnection` costs several times more per message; it is built for a person, not a flood).
///
/// Unchecked: everything mutable is touched on the channel's event loop only.
final class BenchLink: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    let userID: Int64
    let peerID: Int64
    /// The group it sends to and hears from instead of its peer; 0 for one-to-one.
    let groupID: Int64
    private let index: Int
    private let messageBytes: Int
    private let latency: LatencyRecorder
    private let totals: BenchTotals
    /// The loop the connection runs on, chosen before it connects (so it is known from any
    /// thread, and kept after the channel closes for reading the counts).
    let eventLoop: EventLoop
    private var context: ChannelHandlerContext?
    private var hello: EventLoopPromise<Void>?

    private var nextRequestID: UInt64 = 2
    private var sequence = 0
    private var stopSendingAt = NIODeadline.distantPast
    private var refillOnAck = false
    private(set) var acked = Set<Int64>()
    private(set) var received = Set<Int64>()
    private(set) var duplicates = 0
    private(set) var refusals: [String: Int] = [:]

    private init(
        userID: Int64,
        peerID: Int64,
        groupID: Int64,
        index: Int,
        messageBytes: Int,
        latency: LatencyRecorder,
        totals: BenchTotals,
        eventLoop: EventLoop
    ) {
        self.eventLoop = eventLoop
        self.userID = userID
        self.peerID = peerID
        self.groupID = groupID
        self.index = index
        self.messageBytes = messageBytes
        self.latency = latency
        self.totals = totals
    }

    /// Connects and says hello with `token`.
    static func open(
        token: String,
        host: String,
        port: Int,
        userID: Int64,
        peerID: Int64,
        groupID: Int64 = 0,
        index: Int,
        messageBytes: Int,
        latency: LatencyRecorder,
        totals: BenchTotals
    ) async throws -> BenchLink {
        let eventLoop = NIOSingletons.posixEventLoopGroup.next()
        let link = BenchLink(
            userID: userID,
            peerID: peerID,
            groupID: groupID,
            index: index,
            messageBytes: messageBytes,
            latency: latency,
            totals: totals,
            eventLoop: eventLoop
        )
        let channel = try await connect(to: try Self.address(host: host, port: port), on: eventLoop, handler: { link })
            .get()
        let helloDone = channel.eventLoop.makePromise(of: Void.self)
        try await channel.eventLoop.submit {
            link.hello = helloDone
            link.context?.writeAndFlush(
                NIOAny(try WireEnvelope.reply(to: 1, .hello(BenchUsers.hello(token: token))).framed()),
                promise: nil
            )
        }.get()
        try await helloDone.futureResult.get()
        return link
    }

    /// The chat server's address, resolved once: connecting by host name runs getaddrinfo and
    /// Happy Eyeballs for every connection, which cost the generator's token sign-ins more than
    /// the connection itself (perf of the generator). `wechat-server` advertises an IP address; a
    /// host name is resolved to its first address, with no fallback to the others.
    static func address(host: String, port: Int) throws -> SocketAddress {
        if let literal = try? SocketAddress(ipAddress: host, port: port) { return literal }
        return try SocketAddress.makeAddressResolvingHost(host, port: port)
    }

    /// A generator connection: no Nagle delay, frames split by `FrameDecoder` and handed to
    /// the handler `makeHandler` makes (on the channel's loop, where the handler lives), on `eventLoop`.
    static func connect(
        to address: SocketAddress,
        on eventLoop: EventLoop,
        handler makeHandler: @escaping @Sendable () -> ChannelHandler
    ) -> EventLoopFuture<Channel> {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(FrameDecoder()), makeHandler(),
                    ])
                }
            }
            .connect(to: address)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Keeps `window` messages in flight until `until`.
    func startWindow(_ window: Int, until: NIODeadline) {
        eventLoop.execute {
            self.stopSendingAt = until
            self.refillOnAck = true
            for _ in 0..<window { self.sendOne() }
            self.context?.flush()
        }
    }

    /// Sends one message now, for a `FixedRateDriver`; on the event loop.
    func sendScheduled() {
        eventLoop.preconditionInEventLoop()
        sendOne()
        context?.flush()
    }

    /// Closes the connection (on its event loop).
    func close() {
        eventLoop.execute { self.context?.close(promise: nil) }
    }

    private func sendOne() {
        guard let context else { return }
        var request = WireSendMessage()
        if groupID != 0 { request.groupID = groupID } else { request.toUserID = peerID }
        request.clientMsgID = "\(index)-\(sequence)"
        sequence += 1
        let stamp = "b\(DispatchTime.now().uptimeNanoseconds);"
        request.text = stamp + String(repeating: "x", count: max(0, messageBytes - stamp.utf8.count))
        guard
            let frame = try? WireEnvelope.reply(to: nextRequestID, .sendMessage(request)).framed(
                allocator: context.channel.allocator
            )
        else { return }
        nextRequestID += 1
        totals.sent.add(1, ordering: .relaxed)
        context.write(NIOAny(frame), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let envelope = try? WireEnvelope.decode(frame: unwrapInboundIn(data)) else {
            refusals["undecodable frame", default: 0] += 1
            return
        }
        switch envelope.payload {
        case .helloOk:
            hello?.succeed()
            hello = nil
        case .messageAck(let ack):
            acked.insert(ack.message.id)
            totals.acked.add(1, ordering: .relaxed)
            if refillOnAck && NIODeadline.now() < stopSendingAt { sendOne() }
        case .messagePush(let push):
            // A group's system lines (its creation, written by the server) are not the run's; a
            // one-to-one link (groupID 0) takes its friend's messages.
            guard push.message.groupID == groupID, push.message.kind == .text, push.message.senderID != userID
            else { return }
            arrived(push.message)
        case .error(let error):
            if let hello {
                hello.fail(error.chatError)
                self.hello = nil
            } else {
                refusals[error.code, default: 0] += 1
                if envelope.requestID != 0 { totals.refused.add(1, ordering: .relaxed) }
                // A refused message leaves the window: send the next one.
                if envelope.requestID != 0 && refillOnAck && NIODeadline.now() < stopSendingAt { sendOne() }
            }
        default:
            break
        }
    }

    /// A message from someone else, one-to-one or in the group: timed, and counted once by its
    /// id (a group message has a server-wide id too, so one set serves both).
    private func arrived(_ message: WireChatMessage) {
        let now = DispatchTime.now().uptimeNanoseconds
        if let sentAt = Self.timestamp(in: message.text), now > sentAt {
            latency.record(microseconds: (now - sentAt) / 1000)
        }
        if received.insert(message.id).inserted {
            totals.received.add(1, ordering: .relaxed)
        } else {
            duplicates += 1
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        hello?.fail(ChatError(.unavailable, "The chat server closed the connection."))
        hello = nil
        context.fireChannelInactive()
    }

    /// What this link counted, read on its event loop.
    func counts() async throws -> (acked: Set<Int64>, received: Set<Int64>, duplicates: Int, refusals: [String: Int]) {
        try await eventLoop.submit { (self.acked, self.received, self.duplicates, self.refusals) }.get()
    }

    static func timestamp(in text: String) -> UInt64? {
        guard text.hasPrefix("b"), let end = text.firstIndex(of: ";") else { return nil }
        return UInt64(text[text.index(after: text.startIndex)..<end])
    }
}

/// Running totals across every link of a run, for progress and the drain: exact sets are
/// gathered from the links at the end.
final class BenchTotals: Sendable {
    let sent = Atomic<Int>(0)
    let acked = Atomic<Int>(0)
    /// Sends answered with an error instead of an ack.
    let refused = Atomic<Int>(0)
    let received = Atomic<Int>(0)
    /// Fixed-rate schedules that still have messages to send: until they end, a drain that
    /// finds every message so far answered is not done (a late tick may still send one).
    let schedulesRunning = Atomic<Int>(0)
    /// The arrivals each acknowledged message makes: 1 to a peer, the other members in a group.
    let receiptsPerAck: Int

    init(receiptsPerAck: Int = 1) {
        self.receiptsPerAck = receiptsPerAck
    }

    /// Every schedule ended, every send answered, and every acknowledged message arrived everywhere it goes.
    var settled: Bool {
        guard schedulesRunning.load(ordering: .relaxed) == 0 else { return false }
        let acked = acked.load(ordering: .relaxed)
        return acked + refused.load(ordering: .relaxed) >= sent.load(ordering: .relaxed)
            && received.load(ordering: .relaxed) >= acked * receiptsPerAck
    }

    /// Returns once `settled`, or once nothing has been answered or has arrived for `quietSeconds`.
    func settle(quietSeconds seconds: Double) async {
        var lastProgress = Date()
        var last = (0, 0)
        while !settled && Date().timeIntervalSince(lastProgress) < seconds {
            let now = (
                acked.load(ordering: .relaxed) + refused.load(ordering: .relaxed),
                received.load(ordering: .relaxed)
            )
            if now != last {
                last = now
                lastProgress = Date()
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
