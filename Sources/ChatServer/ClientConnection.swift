import ChatProtocol
import ChatServices
import Logging
import NIOCore

/// One authenticated TCP connection (one device of one user) on this chat server.
///
/// Writes go straight to the channel, which is safe from any thread and never blocks the caller:
/// a push to a slow device must not hold up the sender.
final class ClientConnection: Sendable {
    let id: ObjectIdentifier
    let userID: UserID
    let deviceID: String
    let channel: Channel
    /// Messages of this connection queued for commit and not yet acknowledged.
    let inFlight: InFlightLimit

    init(userID: UserID, deviceID: String, channel: Channel, inFlight: InFlightLimit) {
        self.inFlight = inFlight
        self.id = ObjectIdentifier(channel)
        self.userID = userID
        self.deviceID = deviceID
        self.channel = channel
    }

    func send(frame: ByteBuffer) {
        channel.writeAndFlush(frame, promise: nil)
    }

    func sendAndWait(_ envelope: WireEnvelope) async throws {
        try await channel.writeAndFlush(try envelope.framed(allocator: channel.allocator))
    }

    func send(_ envelope: WireEnvelope) {
        guard let frame = try? envelope.framed(allocator: channel.allocator) else { return }
        send(frame: frame)
    }
}
