import ChatServices
import NIOCore
import Synchronization

/// Gets a frame to every live connection of a user, whichever chat server holds them.
///
/// Fire and forget: `push` never waits, since a push is a hint (whatever a device misses is in
/// its user's update log, which it syncs) and the sender's ack must not wait on the recipient.
/// Split across processes, an implementation queues the frame and, on its own task, asks the
/// status service where the user is and forwards to those chat servers (gRPC); the in-process one
/// below reaches their registries directly.
public protocol PushRouter: Sendable {
    /// `except`: a connection on this chat server that is not to get it, because its reply
    /// already carries the same (the ack to the device that sent a message). Split across
    /// processes, only the sender's own chat server has that connection, and it routes the push.
    func push(_ frame: ByteBuffer, to user: UserID, except connection: ObjectIdentifier?)
}

extension PushRouter {
    public func push(_ frame: ByteBuffer, to user: UserID) {
        push(frame, to: user, except: nil)
    }
}

/// Routes between the chat servers of one process, using the status service's presence map.
public final class InProcessPushRouter: PushRouter {
    private let status: InProcessStatusService
    private let registries = Mutex<[String: ConnectionRegistry]>([:])

    public init(status: InProcessStatusService) {
        self.status = status
    }

    func attach(chatServerID: String, registry: ConnectionRegistry) {
        registries.withLock { $0[chatServerID] = registry }
    }

    func detach(chatServerID: String) {
        _ = registries.withLock { $0.removeValue(forKey: chatServerID) }
    }

    public func push(_ frame: ByteBuffer, to user: UserID, except connection: ObjectIdentifier?) {
        let servers = status.currentChatServers(of: user)
        guard !servers.isEmpty else { return }
        let targets = registries.withLock { registries in servers.compactMap { registries[$0] } }
        for registry in targets {
            registry.deliver(frame, to: user, except: connection)
        }
    }
}
