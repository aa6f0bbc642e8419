import ChatProtocol
import ChatServices
import Logging
import NIOCore
import Synchronization

/// One authenticated TCP connection (one device of one user) on this chat server.
///
/// Writes never block the caller (a push to a slow device must not hold up the sender) and are
/// coalesced per event-loop turn (`FrameWriter`). The channel's write-buffer high-water mark
/// (`ProtocolLimits.maxSendQueueBytes`) bounds what may queue: a connection whose peer stops
/// reading is closed once it is reached, instead of growing the server's memory.
final class ClientConnection: Sendable {
    let id: ConnectionID
    let userID: UserID
    /// The session it signed in with (`LiveSession.sessionID`): a sign-out closes exactly these.
    let sessionID: String
    let deviceID: String
    let channel: Channel
    /// Messages of this connection queued for commit and not yet acknowledged.
    let inFlight: InFlightLimit
    private let writer: FrameWriter
    private let logger: Logger
    private let dropped = Atomic<Bool>(false)

    init(
        id: ConnectionID,
        userID: UserID,
        sessionID: String,
        deviceID: String,
        channel: Channel,
        inFlight: InFlightLimit,
        logger: Logger
    ) {
        self.inFlight = inFlight
        self.id = id
        self.userID = userID
        self.sessionID = sessionID
        self.deviceID = deviceID
        self.channel = channel
        self.writer = FrameWriter(channel: channel)
        self.logger = logger
    }

    /// A session ends when its token expires, also for a connection that stayed open: closed
    /// then, with `invalid_token`, so the client signs in again. (A scheduled task on the
    /// channel's loop, cancelled with the channel.)
    func closeWhenExpired(atMs expiresAtMs: Int64, nowMs: Int64) {
        let delay = TimeAmount.milliseconds(max(0, expiresAtMs - nowMs))
        let expiry = channel.eventLoop.scheduleTask(in: delay) { [self] in
            sendThenClose(.error(ChatError(.invalidToken, "Your session has expired. Please sign in again.")))
        }
        channel.closeFuture.whenComplete { _ in expiry.cancel() }
    }

    func send(frame: ByteBuffer) {
        // `isWritable` turns false once the queue passes the high-water mark; it is safe to read
        // from any thread.
        guard channel.isWritable else {
            dropSlowConsumer()
            return
        }
        writer.write(frame)
    }

    func send(_ envelope: WireEnvelope) {
        guard let frame = try? envelope.framed(allocator: channel.allocator) else { return }
        send(frame: frame)
    }

    /// Sends after everything queued before it, then closes.
    func sendThenClose(_ envelope: WireEnvelope) {
        guard let frame = try? envelope.framed(allocator: channel.allocator) else {
            channel.close(promise: nil)
            return
        }
        let channel = channel
        let written = channel.eventLoop.makePromise(of: Void.self)
        writer.write(frame, promise: written)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    /// Sends and waits until the frame is written: a reply path uses it so that a client that
    /// stops reading stops being read.
    func sendAndWait(_ envelope: WireEnvelope) async throws {
        try await writer.writeAndWait(try envelope.framed(allocator: channel.allocator))
    }

    private func dropSlowConsumer() {
        guard !dropped.exchange(true, ordering: .relaxed) else { return }
        logger.warning(
            "closing a connection that stopped reading",
            metadata: [
                "user": "\(userID)", "device": "\(deviceID)", "queuedLimitBytes": "\(ProtocolLimits.maxSendQueueBytes)",
            ]
        )
        // Closing drops the queued writes. The pushes it missed are in the user's update log.
        channel.close(promise: nil)
    }
}
