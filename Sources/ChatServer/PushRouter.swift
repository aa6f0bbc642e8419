import ChatServices
import NIOCore
import Synchronization

/// Gets a frame to every live connection of a user, whichever chat server holds them.
///
/// Split across processes, an implementation asks the status service where the user is and
/// forwards to those chat servers (gRPC); the in-process one below reaches their registries directly.
public protocol PushRouter: Sendable {
    func push(_ frame: ByteBuffer, to user: UserID) async
}

/// Routes between the chat servers of one process, using the status service's presence map.
public final class InProcessPushRouter: PushRouter {
    private let status: StatusService
    private let registries = Mutex<[String: ConnectionRegistry]>([:])

    public init(status: StatusService) {
        self.status = status
    }

    func attach(chatServerID: String, registry: ConnectionRegistry) {
        registries.withLock { $0[chatServerID] = registry }
    }

    func detach(chatServerID: String) {
        _ = registries.withLock { $0.removeValue(forKey: chatServerID) }
    }

    public func push(_ frame: ByteBuffer, to user: UserID) async {
        let servers = await status.chatServers(of: user)
        guard !servers.isEmpty else { return }
        let targets = registries.withLock { registries in servers.compactMap { registries[$0] } }
        for registry in targets {
            registry.deliver(frame, to: user)
        }
    }
}
