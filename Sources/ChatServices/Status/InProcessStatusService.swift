import ChatProtocol
import Logging
import Synchronization

/// Registry, load and presence in memory; tokens in the `SessionStore` so they outlive a restart.
public final class InProcessStatusService: StatusService, PresenceFeed {
    private struct State {
        var servers: [String: ChatServerInfo] = [:]
        var order: [String] = []
        /// Live connections per chat server.
        var connections: [String: Int] = [:]
        /// Logins assigned to a server that have not connected yet (their assignment times); they
        /// count as load so a burst of logins spreads out instead of all landing on the server
        /// that was idle a moment ago. An assignment nobody uses stops counting after a while.
        var pending: [String: [Int64]] = [:]
        var nextTieBreak = 0
        /// user → chat server id → live connections
        var presence: [UserID: [String: Int]] = [:]
        var watchers = PresenceWatchers()

        /// Tells the watchers where `users` are now.
        mutating func publish(_ users: some Sequence<UserID>) {
            guard !watchers.isEmpty else { return }
            var update = PresenceUpdate(isSnapshot: false, users: [:])
            for user in users { update.users[user] = presence[user].map { Array($0.keys) } ?? [] }
            watchers.publish(update)
        }
    }

    private let state = Mutex(State())
    private let sessions: SessionStore
    private let tokenLifetimeSeconds: Int64
    private let clock: WallClock
    private let logger: Logger

    public init(
        sessions: SessionStore,
        tokenLifetimeSeconds: Int64 = 30 * 24 * 3600,
        clock: WallClock = .system,
        logger: Logger
    ) {
        self.sessions = sessions
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.clock = clock
        self.logger = logger
    }

    public func registerChatServer(_ server: ChatServerInfo, connections: [UserID: Int]) async {
        state.withLock { state in
            if state.servers[server.id] == nil { state.order.append(server.id) }
            state.servers[server.id] = server
            let cleared = Self.clearPresence(on: server.id, in: &state)
            let live = connections.filter { $0.value > 0 }
            for (user, count) in live { state.presence[user, default: [:]][server.id] = count }
            state.connections[server.id] = live.values.reduce(0, +)
            state.publish(Set(cleared).union(live.keys))
        }
        logger.info(
            "chat server registered",
            metadata: ["id": "\(server.id)", "address": "\(server.host):\(server.port)"]
        )
    }

    public func unregisterChatServer(id: String) async {
        state.withLock { state in
            state.servers.removeValue(forKey: id)
            state.order.removeAll { $0 == id }
            state.pending.removeValue(forKey: id)
            // Its connections are gone with it: nobody is online there any more.
            state.publish(Self.clearPresence(on: id, in: &state))
            state.connections.removeValue(forKey: id)
        }
    }

    /// Nobody is connected to `server` any more; returns who was.
    private static func clearPresence(on server: String, in state: inout State) -> [UserID] {
        var cleared: [UserID] = []
        for user in Array(state.presence.keys) where state.presence[user]?[server] != nil {
            cleared.append(user)
            state.presence[user]?.removeValue(forKey: server)
            if state.presence[user]?.isEmpty == true { state.presence.removeValue(forKey: user) }
        }
        state.connections[server] = 0
        return cleared
    }

    /// In one process the chat servers cannot go silent without the status service going too.
    public func chatServerHeartbeat(id: String) async -> Bool {
        state.withLock { $0.servers[id] != nil }
    }

    public func chatServer(id: String) async throws -> ChatServerInfo? {
        state.withLock { $0.servers[id] }
    }

    public func assignChatServer() async throws -> ChatServerInfo {
        try state.withLock { state in
            guard !state.order.isEmpty else {
                throw ChatError(
                    .unavailable,
                    "No chat server is running. Please try again shortly.",
                    retryAfterSeconds: 2
                )
            }
            // Least loaded wins; ties go round-robin so equal servers share evenly.
            let count = state.order.count
            var best: String?
            var bestLoad = Int.max
            let now = clock.nowMs()
            for id in state.order {
                state.pending[id]?.removeAll { $0 < now - Self.pendingLifetimeMs }
            }
            for offset in 0..<count {
                let id = state.order[(state.nextTieBreak + offset) % count]
                let load = state.connections[id, default: 0] + (state.pending[id]?.count ?? 0)
                if load < bestLoad {
                    best = id
                    bestLoad = load
                }
            }
            state.nextTieBreak = (state.nextTieBreak + 1) % count
            let id = best!
            state.pending[id, default: []].append(now)
            return state.servers[id]!
        }
    }

    public func issueToken(for user: UserID) async throws -> IssuedToken {
        try await SessionTokens.issue(
            for: user,
            in: sessions,
            lifetimeSeconds: tokenLifetimeSeconds,
            nowMs: clock.nowMs()
        )
    }

    public func authenticate(token: String) async throws -> LiveSession {
        try await SessionTokens.authenticate(token, in: sessions, nowMs: clock.nowMs())
    }

    public func revokeToken(_ token: String) async throws -> Bool {
        try await SessionTokens.revoke(token, in: sessions)
    }

    public func revokeAllTokens(of user: UserID) async throws {
        try await sessions.deleteSessions(userID: user)
    }

    public func connectionOpened(user: UserID, chatServerID: String) async -> Bool {
        state.withLock { state in
            state.connections[chatServerID, default: 0] += 1
            if state.pending[chatServerID]?.isEmpty == false {
                state.pending[chatServerID]?.removeFirst()
            }
            let wasOnline = !(state.presence[user]?.isEmpty ?? true)
            let wasHere = state.presence[user]?[chatServerID] != nil
            state.presence[user, default: [:]][chatServerID, default: 0] += 1
            if !wasHere { state.publish(CollectionOfOne(user)) }
            return !wasOnline
        }
    }

    public func connectionClosed(user: UserID, chatServerID: String) async -> Bool {
        state.withLock { state in
            guard var servers = state.presence[user], let count = servers[chatServerID] else { return false }
            state.connections[chatServerID] = max(0, state.connections[chatServerID, default: 0] - 1)
            servers[chatServerID] = count > 1 ? count - 1 : nil
            state.presence[user] = servers.isEmpty ? nil : servers
            if count == 1 { state.publish(CollectionOfOne(user)) }
            return servers.isEmpty
        }
    }

    public func onlineUsers(among users: [UserID]) async -> Set<UserID> {
        state.withLock { state in Set(users.filter { state.presence[$0] != nil }) }
    }

    public func chatServers(of user: UserID) -> [String] {
        state.withLock { state in state.presence[user].map { Array($0.keys) } ?? [] }
    }

    public func orderDisconnect(_ order: DisconnectOrder) {
        state.withLock {
            $0.watchers.publish(PresenceUpdate(isSnapshot: false, users: [:], disconnects: [order]))
        }
    }

    public func watchPresence() -> AsyncStream<PresenceUpdate> {
        state.withLock { state in
            state.watchers.add(snapshot: state.presence.mapValues { Array($0.keys) }) { [weak self] id in
                self?.state.withLock { $0.watchers.remove(id) }
            }
        }
    }

    public func connectionCounts() async -> [String: Int] {
        state.withLock { state in
            Dictionary(uniqueKeysWithValues: state.order.map { ($0, state.connections[$0, default: 0]) })
        }
    }

    static let pendingLifetimeMs: Int64 = 30_000
}
