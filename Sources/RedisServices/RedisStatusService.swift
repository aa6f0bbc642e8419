import ChatProtocol
import ChatServices
import Logging
import RedisClient
import Synchronization

/// `StatusService` on Redis, for a cluster: the chat-node registry with heartbeats and load, and
/// presence, where every status process (and a restarted one) finds them. Tokens stay in the
/// `SessionStore` (PostgreSQL in a cluster), as hashes, so flushing Redis signs nobody out.
///
/// Keys:
/// - `status:nodes`: hash, chat-node id → its address (`tls port host`);
/// - `status:heartbeats`: sorted set, chat-node id scored by its last heartbeat (ms). A node not
///   heard from for `silentAfterMs` is not assigned, and `sweepSilentChatServers` drops it with
///   its presence. Scores rather than keys with a TTL, so the injected clock decides (tests move
///   it) and one range query finds every silent node;
/// - `status:connections`: hash, chat-node id → live connections;
/// - `status:pending:{node}`: sorted set of sign-ins assigned there and not yet connected, scored
///   by when; they count as load for `pendingLifetimeMs`;
/// - `status:presence:{user}`: hash, chat-node id → that user's live connections there;
/// - `status:node-users:{node}`: set of the users with presence on a node, to clear it at once.
///
/// Every change is one Lua script, so two gates assigning at once, or a connection opening on one
/// node while another closes elsewhere, cannot lose a count.
///
/// `chatServers(of:)` must answer without waiting, so this process keeps a copy of presence: the
/// scripts return each changed user's nodes, and `loadPresence` reads all of it at start. One
/// status process serves presence to the chat nodes at a time (more can run for the rest).
public final class RedisStatusService: StatusService, PresenceFeed {
    private let redis: RedisConnection
    private let sessions: SessionStore
    private let tokenLifetimeSeconds: Int64
    private let silentAfterMs: Int64
    private let clock: WallClock
    private let logger: Logger
    /// user → chat nodes with a live connection, as last seen in Redis, with the version of
    /// that sighting: replies to concurrent calls can be handled out of order, and an older one
    /// must not undo a newer one.
    private let presence = Mutex<[UserID: Sighting]>([:])
    /// Taken only inside `presence`'s lock, so the feed sends changes in the copy's order.
    private let watchers = Mutex(PresenceWatchers())

    private struct Sighting {
        var nodes: Set<String>
        var version: Int64
    }

    static let pendingLifetimeMs: Int64 = 30_000

    /// - Parameter silentAfterMs: how long a chat node may go without a heartbeat before it is
    ///   taken for dead. Nodes beat every second; three missed beats is a dead node, so a crashed
    ///   node's users are sent elsewhere within a few seconds.
    public init(
        redis: RedisConnection,
        sessions: SessionStore,
        tokenLifetimeSeconds: Int64 = 30 * 24 * 3600,
        silentAfterMs: Int64 = 3_000,
        clock: WallClock = .system,
        logger: Logger
    ) {
        self.redis = redis
        self.sessions = sessions
        self.tokenLifetimeSeconds = tokenLifetimeSeconds
        self.silentAfterMs = silentAfterMs
        self.clock = clock
        self.logger = logger
    }

    // MARK: Chat nodes

    public func registerChatServer(_ server: ChatServerInfo, connections: [UserID: Int]) async {
        let address = Self.address(of: server)
        var arguments = ["EVAL", Self.registerScript, "0", server.id, address, "\(clock.nowMs())"]
        let live = connections.filter { $0.value > 0 }
        for (user, count) in live { arguments += ["\(user)", "\(count)"] }
        guard let reply = await run("register a chat server", { try await self.redis.send(arguments) }),
            let version = reply.integer
        else { return }
        presence.withLock { presence in
            var changed = Self.remove(node: server.id, olderThan: version, from: &presence)
            for user in live.keys {
                var sighting = presence[user] ?? Sighting(nodes: [], version: version)
                sighting.nodes.insert(server.id)
                sighting.version = max(sighting.version, version)
                presence[user] = sighting
                changed.append(user)
            }
            publish(changed, from: presence)
        }
        logger.info(
            "chat server registered",
            metadata: [
                "id": "\(server.id)", "address": "\(server.host):\(server.port)", "connections": "\(live.count)",
            ]
        )
    }

    public func unregisterChatServer(id: String) async {
        _ = await drop(id, ifSilentBefore: nil)
        logger.info("chat server unregistered", metadata: ["id": "\(id)"])
    }

    public func chatServerHeartbeat(id: String) async throws -> Bool {
        do {
            let reply = try await redis.send(["EVAL", Self.heartbeatScript, "0", id, "\(clock.nowMs())"])
            return reply.integer == 1
        } catch {
            logger.error("status: could not record a heartbeat: Redis failed", metadata: ["error": "\(error)"])
            throw ChatError(.unavailable, "The status service cannot reach its store.")
        }
    }

    /// Drops every chat node that has not sent a heartbeat for `silentAfterMs`, with its presence
    /// and pending sign-ins; returns their ids. Run every second by whoever hosts the service.
    @discardableResult
    public func sweepSilentChatServers() async -> [String] {
        let cutoff = clock.nowMs() - silentAfterMs
        let reply = await run("look for silent chat servers") {
            try await self.redis.send(["ZRANGEBYSCORE", "status:heartbeats", "-inf", "(\(cutoff)"])
        }
        var dropped: [String] = []
        for id in reply?.array?.compactMap(\.string) ?? [] {
            // Still silent when the drop runs (it may have registered again meanwhile).
            guard await drop(id, ifSilentBefore: cutoff) else { continue }
            dropped.append(id)
            logger.warning("chat server stopped sending heartbeats; dropped", metadata: ["id": "\(id)"])
        }
        return dropped
    }

    public func assignChatServer() async throws -> ChatServerInfo {
        let nowMs = clock.nowMs()
        let reply: RESPValue
        do {
            reply = try await redis.send([
                "EVAL", Self.assignScript, "0", "\(nowMs)", "\(nowMs - silentAfterMs)", "\(Self.pendingLifetimeMs)",
            ])
        } catch {
            logger.error("could not assign a chat server: Redis failed", metadata: ["error": "\(error)"])
            throw ChatError(.unavailable, "The status service cannot reach its store. Please try again shortly.")
        }
        guard let values = reply.array, values.count == 2, let id = values[0].string,
            let server = values[1].string.flatMap({ Self.server(id: id, address: $0) })
        else {
            throw ChatError(.unavailable, "No chat server is running. Please try again shortly.", retryAfterSeconds: 2)
        }
        return server
    }

    public func connectionCounts() async -> [String: Int] {
        let replies = await run("read connection counts") {
            try await self.redis.pipeline([["HKEYS", "status:nodes"], ["HGETALL", "status:connections"]])
        }
        guard let replies, let ids = replies[0].array?.compactMap(\.string) else { return [:] }
        let flat = replies[1].array?.compactMap(\.string) ?? []
        var counts: [String: Int] = [:]
        for index in stride(from: 0, to: flat.count - 1, by: 2) { counts[flat[index]] = Int(flat[index + 1]) }
        return Dictionary(uniqueKeysWithValues: ids.map { ($0, counts[$0] ?? 0) })
    }

    // MARK: Presence

    public func connectionOpened(user: UserID, chatServerID: String) async -> Bool {
        let reply = await run("record a connection") {
            try await self.redis.send(["EVAL", Self.openScript, "0", "\(user)", chatServerID])
        }
        return updatePresence(user, from: reply) == .cameOnline
    }

    public func connectionClosed(user: UserID, chatServerID: String) async -> Bool {
        let reply = await run("record a disconnection") {
            try await self.redis.send(["EVAL", Self.closeScript, "0", "\(user)", chatServerID])
        }
        return updatePresence(user, from: reply) == .wentOffline
    }

    public func onlineUsers(among users: [UserID]) async -> Set<UserID> {
        guard !users.isEmpty else { return [] }
        let replies = await run("read presence") {
            try await self.redis.pipeline(users.map { ["EXISTS", Self.presenceKey($0)] })
        }
        guard let replies else { return [] }
        return Set(zip(users, replies).filter { $0.1.integer == 1 }.map(\.0))
    }

    public func chatServers(of user: UserID) -> [String] {
        presence.withLock { $0[user].map { Array($0.nodes) } ?? [] }
    }

    /// Reads all presence from Redis into this process's copy (at start, and after Redis came
    /// back): `chatServers(of:)` answers from it.
    public func loadPresence() async throws {
        let version = try await redis.send(["GET", "status:version"]).string.flatMap(Int64.init) ?? 0
        var loaded: [UserID: Sighting] = [:]
        var cursor = "0"
        repeat {
            let reply = try await redis.send(["SCAN", cursor, "MATCH", "status:presence:*", "COUNT", "1000"])
            guard let parts = reply.array, parts.count == 2, let next = parts[0].string else { break }
            cursor = next
            let keys = parts[1].array?.compactMap(\.string) ?? []
            guard !keys.isEmpty else { continue }
            let nodes = try await redis.pipeline(keys.map { ["HKEYS", $0] })
            for (key, reply) in zip(keys, nodes) {
                guard let user = Int64(key.dropFirst("status:presence:".count)) else { continue }
                let ids = reply.array?.compactMap(\.string) ?? []
                if !ids.isEmpty { loaded[user] = Sighting(nodes: Set(ids), version: version) }
            }
        } while cursor != "0"
        presence.withLock { presence in
            presence = loaded
            watchers.withLock {
                $0.publish(PresenceUpdate(isSnapshot: true, users: loaded.mapValues { Array($0.nodes) }))
            }
        }
    }

    public func orderDisconnect(_ order: DisconnectOrder) {
        presence.withLock { _ in
            watchers.withLock {
                $0.publish(PresenceUpdate(isSnapshot: false, users: [:], disconnects: [order]))
            }
        }
    }

    public func watchPresence() -> AsyncStream<PresenceUpdate> {
        presence.withLock { presence in
            let snapshot = presence.filter { !$0.value.nodes.isEmpty }.mapValues { Array($0.nodes) }
            return watchers.withLock { watchers in
                watchers.add(snapshot: snapshot) { [weak self] id in
                    self?.watchers.withLock { $0.remove(id) }
                }
            }
        }
    }

    /// Tells the feed's watchers where `users` are now. Called inside `presence`'s lock.
    private func publish(_ users: [UserID], from presence: [UserID: Sighting]) {
        watchers.withLock { watchers in
            guard !watchers.isEmpty, !users.isEmpty else { return }
            var update = PresenceUpdate(isSnapshot: false, users: [:])
            for user in users { update.users[user] = presence[user].map { Array($0.nodes) } ?? [] }
            watchers.publish(update)
        }
    }

    // MARK: Tokens

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

    // MARK: Helpers

    static func presenceKey(_ user: UserID) -> String { "status:presence:\(user)" }

    /// A node's entry in `status:nodes`: `tls port push host` (push `-` when it takes none;
    /// the host last, as the one part that could hold anything).
    static func address(of server: ChatServerInfo) -> String {
        "\(server.tls ? 1 : 0) \(server.port) \(server.pushEndpoint ?? "-") \(server.host)"
    }

    static func server(id: String, address: String) -> ChatServerInfo? {
        let parts = address.split(separator: " ", maxSplits: 3)
        guard parts.count == 4, let port = Int(parts[1]) else { return nil }
        return ChatServerInfo(
            id: id,
            host: String(parts[3]),
            port: port,
            tls: parts[0] == "1",
            pushEndpoint: parts[2] == "-" ? nil : String(parts[2])
        )
    }

    public func chatServer(id: String) async throws -> ChatServerInfo? {
        let reply: RESPValue
        do {
            reply = try await redis.send(["HGET", "status:nodes", id])
        } catch {
            logger.error("could not look up a chat server: Redis failed", metadata: ["error": "\(error)"])
            throw ChatError(.unavailable, "The status service cannot reach its store. Please try again shortly.")
        }
        return reply.string.flatMap { Self.server(id: id, address: $0) }
    }

    private enum PresenceChange { case cameOnline, wentOffline, none }

    /// A script's reply `{change, version, node, node, …}`: the user's nodes after the change,
    /// copied here unless a newer sighting got here first.
    private func updatePresence(_ user: UserID, from reply: RESPValue?) -> PresenceChange {
        guard let values = reply?.array, values.count >= 2, let change = values[0].integer,
            let version = values[1].integer
        else { return .none }
        let nodes = Set(values.dropFirst(2).compactMap(\.string))
        presence.withLock { presence in
            guard version > presence[user]?.version ?? .min else { return }
            // Kept when empty too: the version must outlive the user's going offline, or an
            // older reply handled after it would bring them back.
            presence[user] = Sighting(nodes: nodes, version: version)
            publish([user], from: presence)
            Self.pruneOffline(&presence, newest: version)
        }
        return change == 1 ? .cameOnline : change == -1 ? .wentOffline : .none
    }

    /// Takes `node` out of every sighting older than `version` (the node was cleared then);
    /// returns whose.
    private static func remove(
        node: String,
        olderThan version: Int64,
        from presence: inout [UserID: Sighting]
    ) -> [UserID] {
        var removed: [UserID] = []
        for (user, sighting) in presence where sighting.nodes.contains(node) && sighting.version < version {
            var changed = sighting
            changed.nodes.remove(node)
            changed.version = version
            presence[user] = changed
            removed.append(user)
        }
        return removed
    }

    /// Forgets offline users' versions once there are many and they are long past: no reply in
    /// flight is a million changes old.
    private static func pruneOffline(_ presence: inout [UserID: Sighting], newest: Int64) {
        guard presence.count > 100_000, newest % 10_000 == 0 else { return }
        presence = presence.filter { !$0.value.nodes.isEmpty || $0.value.version > newest - 1_000_000 }
    }

    /// Drops a node with its presence, if `cutoff` is nil or its last heartbeat is older than
    /// that; returns whether it was dropped.
    private func drop(_ id: String, ifSilentBefore cutoff: Int64?) async -> Bool {
        let reply = await run("drop a chat server") {
            try await self.redis.send(["EVAL", Self.dropScript, "0", id, cutoff.map { "\($0)" } ?? "any"])
        }
        guard let version = reply?.integer else { return false }
        presence.withLock { presence in
            publish(Self.remove(node: id, olderThan: version, from: &presence), from: presence)
        }
        return true
    }

    /// Runs a Redis call; a failure is logged and becomes nil. Registry and presence degrade
    /// (a node re-registers on its next heartbeat, presence is restored), chats go on.
    private func run(_ what: String, _ body: () async throws -> RESPValue) async -> RESPValue? {
        do {
            return try await body()
        } catch {
            logger.error("status: could not \(what): Redis failed", metadata: ["error": "\(error)"])
            return nil
        }
    }
    private func run(_ what: String, _ body: () async throws -> [RESPValue]) async -> [RESPValue]? {
        do {
            return try await body()
        } catch {
            logger.error("status: could not \(what): Redis failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    // MARK: Scripts

    /// `clearNode` removes a node's presence; `nextVersion` numbers every change to presence,
    /// so a process copying it can tell an older reply from a newer one. Shared by the scripts.
    private static let presenceFunctions = """
        local function nextVersion()
          -- After a flush the counter starts again from the time in microseconds, above any
          -- version handed out before (unless that ran a million changes a second ahead of time).
          if redis.call('EXISTS', 'status:version') == 0 then
            local now = redis.call('TIME')
            redis.call('SET', 'status:version', string.format('%d', tonumber(now[1]) * 1000000 + tonumber(now[2])))
          end
          return redis.call('INCR', 'status:version')
        end
        local function clearNode(node)
          for _, user in ipairs(redis.call('SMEMBERS', 'status:node-users:' .. node)) do
            redis.call('HDEL', 'status:presence:' .. user, node)
          end
          redis.call('DEL', 'status:node-users:' .. node)
          redis.call('HDEL', 'status:connections', node)
        end

        """

    /// ARGV: id, address, now, then user and count pairs. A node (re)starting, or coming back
    /// after Redis lost it: its old presence is replaced by what it reports. Returns the version.
    static let registerScript =
        presenceFunctions + """
            local node = ARGV[1]
            clearNode(node)
            redis.call('HSET', 'status:nodes', node, ARGV[2])
            redis.call('ZADD', 'status:heartbeats', ARGV[3], node)
            local total = 0
            for i = 4, #ARGV, 2 do
              redis.call('HSET', 'status:presence:' .. ARGV[i], node, ARGV[i + 1])
              redis.call('SADD', 'status:node-users:' .. node, ARGV[i])
              total = total + tonumber(ARGV[i + 1])
            end
            redis.call('HSET', 'status:connections', node, total)
            return nextVersion()
            """

    /// ARGV: id, and "any" or a cutoff: the node is dropped only if its last heartbeat is older
    /// (a sweep must not drop a node that registered again since it looked). Returns the version,
    /// or nil when nothing was dropped.
    static let dropScript =
        presenceFunctions + """
            local node = ARGV[1]
            if ARGV[2] ~= 'any' then
              local beat = redis.call('ZSCORE', 'status:heartbeats', node)
              if not beat or tonumber(beat) >= tonumber(ARGV[2]) then return nil end
            end
            clearNode(node)
            redis.call('HDEL', 'status:nodes', node)
            redis.call('ZREM', 'status:heartbeats', node)
            redis.call('DEL', 'status:pending:' .. node)
            return nextVersion()
            """

    /// ARGV: id, now. 1 when the node is known (its heartbeat recorded), 0 when it must register.
    static let heartbeatScript = """
        if redis.call('HEXISTS', 'status:nodes', ARGV[1]) == 0 then return 0 end
        redis.call('ZADD', 'status:heartbeats', ARGV[2], ARGV[1])
        return 1
        """

    /// ARGV: now, oldest live heartbeat, pending lifetime. The live node with the least load
    /// (connections plus pending sign-ins), ties taken in turn; `{id, address}`, or nil if none.
    static let assignScript = """
        local now = tonumber(ARGV[1])
        local live = redis.call('ZRANGEBYSCORE', 'status:heartbeats', ARGV[2], '+inf')
        table.sort(live)
        if #live == 0 then return nil end
        local turn = redis.call('INCR', 'status:turn')
        local best, bestLoad
        for offset = 0, #live - 1 do
          local id = live[((turn + offset) % #live) + 1]
          local pending = 'status:pending:' .. id
          redis.call('ZREMRANGEBYSCORE', pending, '-inf', '(' .. (now - tonumber(ARGV[3])))
          local load = tonumber(redis.call('HGET', 'status:connections', id) or '0') + redis.call('ZCARD', pending)
          if bestLoad == nil or load < bestLoad then best, bestLoad = id, load end
        end
        local pending = 'status:pending:' .. best
        redis.call('ZADD', pending, now, now .. ':' .. turn)
        redis.call('PEXPIRE', pending, ARGV[3])
        return {best, redis.call('HGET', 'status:nodes', best)}
        """

    /// ARGV: user, node. Returns `{1 if the user just came online else 0, version, node, …}`.
    static let openScript =
        presenceFunctions + """
            local key = 'status:presence:' .. ARGV[1]
            local wasOnline = redis.call('EXISTS', key)
            redis.call('HINCRBY', key, ARGV[2], 1)
            redis.call('SADD', 'status:node-users:' .. ARGV[2], ARGV[1])
            redis.call('HINCRBY', 'status:connections', ARGV[2], 1)
            redis.call('ZPOPMIN', 'status:pending:' .. ARGV[2])
            local reply = {1 - wasOnline, nextVersion()}
            for _, node in ipairs(redis.call('HKEYS', key)) do reply[#reply + 1] = node end
            return reply
            """

    /// ARGV: user, node. Returns `{-1 if the user just went offline else 0, version, node, …}`;
    /// closing what is not open changes nothing.
    static let closeScript =
        presenceFunctions + """
            local key = 'status:presence:' .. ARGV[1]
            local count = tonumber(redis.call('HGET', key, ARGV[2]) or '0')
            local change = 0
            if count > 0 then
              local connections = tonumber(redis.call('HGET', 'status:connections', ARGV[2]) or '0')
              if connections > 0 then redis.call('HINCRBY', 'status:connections', ARGV[2], -1) end
              if count > 1 then
                redis.call('HINCRBY', key, ARGV[2], -1)
              else
                redis.call('HDEL', key, ARGV[2])
                redis.call('SREM', 'status:node-users:' .. ARGV[2], ARGV[1])
                if redis.call('EXISTS', key) == 0 then change = -1 end
              end
            end
            local reply = {change, nextVersion()}
            for _, node in ipairs(redis.call('HKEYS', key)) do reply[#reply + 1] = node end
            return reply
            """
}
