import ChatServices
import NIOCore

/// What `ChatServer` keeps for one accepted connection between its frames.
///
/// A heap object on purpose: a connection's serving task spends its life suspended in the read
/// loop, and an async frame keeps every local that its function (and whatever was inlined into
/// it) holds across a suspension. With the request path's locals in the loop's frame, each idle
/// connection kept about 12 KiB of task stack; with the state here and the request path in
/// functions of its own (`@inline(never)`), whose frames exist only while a frame is handled, the
/// loop's frame holds little more than this one reference (see README, Performance).
///
/// Only the connection's serving task changes it, one frame at a time (the short tasks it awaits
/// read its constants).
final class ConnectionState: @unchecked Sendable {
    let channel: Channel
    let peer: String
    let inFlight: InFlightLimit
    /// Whether this connection was accepted within `maxConnections`.
    let withinCapacity: Bool
    let helloDeadline: Scheduled<Void>
    var frameBudget: TokenBucket
    /// Set once Hello succeeds.
    var connection: ClientConnection?

    init(channel: Channel, peer: String, inFlight: InFlightLimit, withinCapacity: Bool,
         helloDeadline: Scheduled<Void>, frameBudget: TokenBucket) {
        self.channel = channel
        self.peer = peer
        self.inFlight = inFlight
        self.withinCapacity = withinCapacity
        self.helloDeadline = helloDeadline
        self.frameBudget = frameBudget
    }
}
