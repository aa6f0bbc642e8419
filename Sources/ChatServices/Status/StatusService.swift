import ChatProtocol

/// A chat server as the status service knows it.
public struct ChatServerInfo: Sendable, Hashable {
    public var id: String
    public var host: String
    public var port: Int
    public var tls: Bool
    /// `host:port` where other chat servers of a cluster deliver pushes for this one's users
    /// (its gRPC push service); nil when it takes none (every chat server in one process).
    public var pushEndpoint: String?

    public init(id: String, host: String, port: Int, tls: Bool = false, pushEndpoint: String? = nil) {
        self.id = id
        self.host = host
        self.port = port
        self.tls = tls
        self.pushEndpoint = pushEndpoint
    }
}

public struct IssuedToken: Sendable {
    public var token: String
    public var userID: UserID
    public var expiresAtMs: Int64

    public init(token: String, userID: UserID, expiresAtMs: Int64) {
        self.token = token
        self.userID = userID
        self.expiresAtMs = expiresAtMs
    }
}

/// StatusServer: which chat servers exist and how loaded they are, session tokens, and presence
/// (which users are online, on which chat servers).
public protocol StatusService: Sendable {
    /// A chat server (re)starts, or comes back after the status service lost track of it: what
    /// it held before is replaced by `connections` (user → live connections there; empty for a
    /// fresh start), in one step, so a registration is never half done.
    func registerChatServer(_ server: ChatServerInfo, connections: [UserID: Int]) async
    func unregisterChatServer(id: String) async
    /// A registered chat server says it is alive. False when the status service does not know it
    /// (never registered, dropped after missed heartbeats, or its store was flushed): the chat
    /// server then registers again with its connections, so nothing needs a manual step. Throws
    /// when the service cannot tell (its store is down): the chat server tries again later.
    func chatServerHeartbeat(id: String) async throws -> Bool
    /// The least-loaded chat server, counting live connections and logins not yet connected.
    func assignChatServer() async throws -> ChatServerInfo
    /// A registered chat server, by id (a chat node looks up a peer to forward pushes to it);
    /// nil when none is registered under it.
    func chatServer(id: String) async throws -> ChatServerInfo?

    func issueToken(for user: UserID) async throws -> IssuedToken
    /// The live session of a token; throws `invalidToken` for an unknown, revoked or expired one.
    func authenticate(token: String) async throws -> LiveSession
    /// Returns whether the token was live.
    func revokeToken(_ token: String) async throws -> Bool
    func revokeAllTokens(of user: UserID) async throws

    /// Returns true when this was the user's first live connection (they just came online).
    func connectionOpened(user: UserID, chatServerID: String) async -> Bool
    /// Returns true when this was the user's last live connection (they just went offline).
    func connectionClosed(user: UserID, chatServerID: String) async -> Bool
    func onlineUsers(among users: [UserID]) async -> Set<UserID>
    /// The chat servers the user has live connections on, without waiting: the push router asks
    /// for every message, on the commit's completion path. The in-process service reads its map;
    /// one split across processes answers from the presence it keeps in step with the shared
    /// store (subscribed to its changes), not from a round trip per push.
    func chatServers(of user: UserID) -> [String]
    func connectionCounts() async -> [String: Int]
}

extension StatusService {
    /// A fresh start: no connections yet.
    public func registerChatServer(_ server: ChatServerInfo) async {
        await registerChatServer(server, connections: [:])
    }
}
