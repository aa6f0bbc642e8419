import ChatServices
import NIOCore
import Synchronization

/// Gets a frame to every live connection of a user, whichever chat server holds them.
///
/// Fire and forget: `push` never waits, since a push is a hint (whatever a device misses is in
/// its user's update log, which it syncs) and the sender's ack must not wait on the recipient.
/// Split across processes, an implementation delivers to the chat servers attached in this
/// process directly and forwards the frame to the others (gRPC), which deliver it to theirs.
public protocol PushRouter: Sendable {
    /// `except`: a connection that is not to get it, because its reply already carries the
    /// same (the ack to the device that sent a message).
    func push(_ frame: ByteBuffer, to user: UserID, except connection: ConnectionID?)
    /// A chat server of this process is listening: pushes for users connected to it go to
    /// `receiver`.
    func attach(chatServerID: String, receiver: any PushReceiver)
    func detach(chatServerID: String)
}

extension PushRouter {
    public func push(_ frame: ByteBuffer, to user: UserID) {
        push(frame, to: user, except: nil)
    }
}

/// What a chat server hands its router: the connections it holds, by user.
public protocol PushReceiver: Sendable {
    /// Writes the frame to every connection of the user held here but `except`; returns how
    /// many got it.
    @discardableResult
    func deliver(_ frame: ByteBuffer, to user: UserID, except: ConnectionID?) -> Int
}

/// Routes between the chat servers of one process, using the status service's presence.
public final class InProcessPushRouter: PushRouter {
    private let status: any StatusService
    private let receivers = Mutex<[String: any PushReceiver]>([:])

    public init(status: any StatusService) {
        self.status = status
    }

    public func attach(chatServerID: String, receiver: any PushReceiver) {
        receivers.withLock { $0[chatServerID] = receiver }
    }

    public func detach(chatServerID: String) {
        _ = receivers.withLock { $0.removeValue(forKey: chatServerID) }
    }

    public func push(_ frame: ByteBuffer, to user: UserID, except connection: ConnectionID?) {
        let servers = status.chatServers(of: user)
        guard !servers.isEmpty else { return }
        let targets = receivers.withLock { receivers in servers.compactMap { receivers[$0] } }
        for receiver in targets {
            receiver.deliver(frame, to: user, except: connection)
        }
    }
}
