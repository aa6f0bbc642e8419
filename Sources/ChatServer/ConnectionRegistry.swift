import ChatServices
import NIOCore
import Synchronization

/// The live connections of one chat server, by user.
final class ConnectionRegistry: PushReceiver {
    private let connections = Mutex<[UserID: [ConnectionID: ClientConnection]]>([:])

    func add(_ connection: ClientConnection) {
        connections.withLock { $0[connection.userID, default: [:]][connection.id] = connection }
    }

    func remove(_ connection: ClientConnection) {
        connections.withLock { connections in
            connections[connection.userID]?.removeValue(forKey: connection.id)
            if connections[connection.userID]?.isEmpty == true {
                connections.removeValue(forKey: connection.userID)
            }
        }
    }

    func connections(of user: UserID) -> [ClientConnection] {
        connections.withLock { $0[user].map { Array($0.values) } ?? [] }
    }

    /// Live connections per user: what this server reports when it registers again with a
    /// status service that lost track of it.
    var connectionsPerUser: [UserID: Int] {
        connections.withLock { $0.mapValues(\.count) }
    }

    var count: Int {
        connections.withLock { $0.values.reduce(0) { $0 + $1.count } }
    }

    /// Writes the frame to every connection of the user here but `except`; returns how many got it.
    @discardableResult
    func deliver(_ frame: ByteBuffer, to user: UserID, except: ConnectionID? = nil) -> Int {
        var delivered = 0
        for connection in connections(of: user) where connection.id != except {
            connection.send(frame: frame)
            delivered += 1
        }
        return delivered
    }
}
