import ChatProtocol

/// Presence as a stream, for processes that route pushes but do not hold presence: a chat node
/// of a cluster keeps a copy from this feed, so `StatusService.chatServers(of:)` answers there
/// without a call per push.
public protocol PresenceFeed: Sendable {
    /// Presence as it is now (one update with `isSnapshot`), then every change, in the order the
    /// service made them. The stream ends if its reader falls too far behind; it then watches
    /// again and starts from a fresh snapshot.
    func watchPresence() -> AsyncStream<PresenceUpdate>
    /// Tells every watcher to close the connections the order names (the chat nodes hold them):
    /// how a password reset or a sign-out on one gate ends sessions everywhere.
    func orderDisconnect(_ order: DisconnectOrder)
}

/// Users and the chat servers they have live connections on (empty: offline).
public struct PresenceUpdate: Sendable, Equatable {
    /// `users` is all of presence, replacing any copy (users not in it are offline).
    public var isSnapshot: Bool
    public var users: [UserID: [String]]
    /// Connections to be closed, and why (see `orderDisconnect`).
    public var disconnects: [DisconnectOrder]

    public init(isSnapshot: Bool, users: [UserID: [String]], disconnects: [DisconnectOrder] = []) {
        self.isSnapshot = isSnapshot
        self.users = users
        self.disconnects = disconnects
    }

    /// Applies the update to a copy of presence.
    public func apply(to copy: inout [UserID: [String]]) {
        if isSnapshot { copy = [:] }
        for (user, servers) in users {
            copy[user] = servers.isEmpty ? nil : servers
        }
    }
}
