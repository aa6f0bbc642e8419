import ChatProtocol
import ChatServices
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import Synchronization

/// `StatusService` in another process, over gRPC: what gates and chat nodes of a cluster call.
///
/// Two things differ from calling it in the process:
/// - `chatServers(of:)` answers from a copy of presence kept by the status service's presence
///   feed (`run()` watches it, and watches again with a fresh snapshot whenever the stream
///   breaks), so routing a push costs no call. The copy lags by a network hop; a push is a hint,
///   and whatever a device misses is in its update log.
/// - the presence calls cannot throw, so when one fails (the status process is restarting) this
///   remembers it, and the next heartbeat answers "not known": the chat node then registers again
///   with every connection it holds, which puts presence and load right without a manual step.
public final class RemoteStatusService: StatusService, SessionControl, Service {
    private let connection: RPCConnection
    private let status: Wechat_Cluster_V1_Status.Client<HTTP2ClientTransport.Posix>
    private let watchesPresence: Bool
    private let presence = Mutex<[UserID: [String]]>([:])
    private let mustRegisterAgain = Atomic<Bool>(false)
    private let disconnectHandler = Mutex<(@Sendable (DisconnectOrder) -> Void)?>(nil)
    private let logger: Logger

    /// - Parameter watchesPresence: keep a copy of presence for `chatServers(of:)` (chat nodes);
    ///   a gate never routes pushes and leaves it off.
    public init(connection: RPCConnection, watchesPresence: Bool, logger: Logger) {
        self.connection = connection
        self.watchesPresence = watchesPresence
        self.logger = logger
        status = Wechat_Cluster_V1_Status.Client(wrapping: connection.client)
    }

    /// Keeps the presence copy until graceful shutdown.
    public func run() async throws {
        guard watchesPresence else {
            try? await gracefulShutdown()
            return
        }
        await cancelWhenGracefulShutdown {
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await self.watchPresenceOnce()
                } catch {
                    failures += 1
                    // One line when the feed breaks, then one every ~30 s while it stays down.
                    if failures == 1 || failures % 120 == 0 {
                        self.logger.warning(
                            "presence feed from the status service interrupted; watching again",
                            metadata: ["address": "\(self.connection.endpoint)", "error": "\(error)"]
                        )
                    }
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    /// One watch: a snapshot, then changes, until the stream ends.
    private func watchPresenceOnce() async throws {
        var options = CallOptions.defaults
        options.waitForReady = false
        try await status.watchPresence(.init(), options: options) { response in
            for try await update in response.messages {
                let users = Dictionary(
                    update.users.map { ($0.userID, $0.chatServerIds) },
                    uniquingKeysWith: { _, last in last }
                )
                let change = PresenceUpdate(isSnapshot: update.snapshot, users: users)
                self.presence.withLock { change.apply(to: &$0) }
                if !update.disconnects.isEmpty, let handler = self.disconnectHandler.withLock({ $0 }) {
                    for order in update.disconnects { handler(DisconnectOrder(order)) }
                }
            }
        }
    }

    /// What to do when the status service orders a user's connections closed (a chat node
    /// closes those it holds). Orders arrive on the presence feed, so only when watching it.
    public func onDisconnectOrder(_ handler: @escaping @Sendable (DisconnectOrder) -> Void) {
        disconnectHandler.withLock { $0 = handler }
    }

    /// `SessionControl` for a gate of a cluster: the status service passes the order to every
    /// chat node watching its feed. Said once; a node that misses it (its feed was down) still
    /// refuses the user's revoked token at the next reconnect.
    public func disconnectEverywhere(_ order: DisconnectOrder) async {
        let request = Wechat_Cluster_V1_DisconnectEverywhereRequest(order)
        _ = try? await connection.call("disconnect a user everywhere", idempotent: true) { options in
            try await status.disconnectEverywhere(request, options: options)
        }
    }

    // MARK: Chat nodes

    public func registerChatServer(_ server: ChatServerInfo, connections: [UserID: Int]) async {
        let request = Wechat_Cluster_V1_RegisterChatServerRequest.with {
            $0.server = .init(server)
            $0.connections = connections.map { user, count in
                .with {
                    $0.userID = user
                    $0.connections = Int32(clamping: count)
                }
            }
        }
        do {
            _ = try await connection.call("register a chat server", idempotent: true) { options in
                try await status.registerChatServer(request, options: options)
            }
        } catch {
            // The next heartbeat tries again.
            mustRegisterAgain.store(true, ordering: .relaxed)
        }
    }

    public func unregisterChatServer(id: String) async {
        _ = try? await connection.call("unregister a chat server", idempotent: true) { options in
            try await status.unregisterChatServer(.with { $0.id = id }, options: options)
        }
    }

    public func chatServerHeartbeat(id: String) async throws -> Bool {
        if mustRegisterAgain.exchange(false, ordering: .relaxed) { return false }
        return try await connection.call("send a heartbeat", idempotent: true) { options in
            try await status.chatServerHeartbeat(.with { $0.id = id }, options: options).known
        }
    }

    public func assignChatServer() async throws -> ChatServerInfo {
        let reply = try await connection.call("assign a chat server", idempotent: false) { options in
            try await status.assignChatServer(.init(), options: options)
        }
        return ChatServerInfo(reply)
    }

    public func chatServer(id: String) async throws -> ChatServerInfo? {
        let reply = try await connection.call("look up a chat server", idempotent: true) { options in
            try await status.getChatServer(.with { $0.id = id }, options: options)
        }
        return reply.found ? ChatServerInfo(reply.server) : nil
    }

    // MARK: Tokens

    public func issueToken(for user: UserID) async throws -> IssuedToken {
        let reply = try await connection.call("issue a token", idempotent: false) { options in
            try await status.issueToken(.with { $0.userID = user }, options: options)
        }
        return IssuedToken(token: reply.token, userID: reply.userID, expiresAtMs: reply.expiresAtMs)
    }

    public func authenticate(token: String) async throws -> LiveSession {
        let reply = try await connection.call("check a token", idempotent: true) { options in
            try await status.authenticate(.with { $0.token = token }, options: options)
        }
        return LiveSession(
            userID: reply.userID,
            sessionID: SessionTokens.sessionID(of: token),
            expiresAtMs: reply.expiresAtMs
        )
    }

    public func revokeToken(_ token: String) async throws -> Bool {
        try await connection.call("revoke a token", idempotent: true) { options in
            try await status.revokeToken(.with { $0.token = token }, options: options).wasLive
        }
    }

    public func revokeAllTokens(of user: UserID) async throws {
        _ = try await connection.call("revoke every token", idempotent: true) { options in
            try await status.revokeAllTokens(.with { $0.userID = user }, options: options)
        }
    }

    // MARK: Presence

    public func connectionOpened(user: UserID, chatServerID: String) async -> Bool {
        await connectionEvent("record a connection", user: user, chatServerID: chatServerID) { request, options in
            try await self.status.connectionOpened(request, options: options)
        }
    }

    public func connectionClosed(user: UserID, chatServerID: String) async -> Bool {
        await connectionEvent("record a disconnection", user: user, chatServerID: chatServerID) { request, options in
            try await self.status.connectionClosed(request, options: options)
        }
    }

    private func connectionEvent(
        _ what: String,
        user: UserID,
        chatServerID: String,
        _ send: (Wechat_Cluster_V1_ConnectionEvent, CallOptions) async throws -> Wechat_Cluster_V1_ConnectionEventReply
    ) async -> Bool {
        let request = Wechat_Cluster_V1_ConnectionEvent.with {
            $0.userID = user
            $0.chatServerID = chatServerID
        }
        do {
            return try await connection.call(what, idempotent: false) { options in
                try await send(request, options)
            }.presenceChanged
        } catch {
            mustRegisterAgain.store(true, ordering: .relaxed)
            return false
        }
    }

    public func onlineUsers(among users: [UserID]) async -> Set<UserID> {
        guard !users.isEmpty else { return [] }
        let reply = try? await connection.call("read presence", idempotent: true) { options in
            try await status.onlineUsers(.with { $0.userIds = users }, options: options)
        }
        return Set(reply?.userIds ?? [])
    }

    public func chatServers(of user: UserID) -> [String] {
        presence.withLock { $0[user] ?? [] }
    }

    public func connectionCounts() async -> [String: Int] {
        let reply = try? await connection.call("read connection counts", idempotent: true) { options in
            try await status.connectionCounts(.init(), options: options)
        }
        return (reply?.counts ?? [:]).mapValues(Int.init)
    }
}

extension Wechat_Cluster_V1_ChatServerAddress {
    init(_ server: ChatServerInfo) {
        self.init()
        id = server.id
        host = server.host
        port = Int32(clamping: server.port)
        tls = server.tls
        pushEndpoint = server.pushEndpoint ?? ""
    }
}

extension ChatServerInfo {
    init(_ address: Wechat_Cluster_V1_ChatServerAddress) {
        self.init(
            id: address.id,
            host: address.host,
            port: Int(address.port),
            tls: address.tls,
            pushEndpoint: address.pushEndpoint.isEmpty ? nil : address.pushEndpoint
        )
    }
}
