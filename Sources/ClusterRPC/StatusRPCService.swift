import ChatProtocol
import ChatServices
import GRPCCore

/// Serves any `StatusService` with a presence feed over gRPC (the status role runs it on Redis).
struct StatusRPCService: Wechat_Cluster_V1_Status.SimpleServiceProtocol {
    let status: any StatusService & PresenceFeed

    func registerChatServer(
        request: Wechat_Cluster_V1_RegisterChatServerRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_RegisterChatServerReply {
        let server = request.server
        guard !server.id.isEmpty, !server.host.isEmpty, (1...65_535).contains(server.port) else {
            throw RPCError(ChatError(.badRequest, "A chat server registers with an id, a host and a port."))
        }
        var connections: [UserID: Int] = [:]
        for entry in request.connections { connections[entry.userID, default: 0] += Int(entry.connections) }
        await status.registerChatServer(ChatServerInfo(server), connections: connections)
        return .init()
    }

    func unregisterChatServer(
        request: Wechat_Cluster_V1_UnregisterChatServerRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_UnregisterChatServerReply {
        await status.unregisterChatServer(id: request.id)
        return .init()
    }

    func chatServerHeartbeat(
        request: Wechat_Cluster_V1_ChatServerHeartbeatRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_ChatServerHeartbeatReply {
        let known = try await answering { try await status.chatServerHeartbeat(id: request.id) }
        return .with { $0.known = known }
    }

    func assignChatServer(
        request: Wechat_Cluster_V1_AssignChatServerRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_ChatServerAddress {
        let server = try await answering { try await status.assignChatServer() }
        return .init(server)
    }

    func getChatServer(
        request: Wechat_Cluster_V1_GetChatServerRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_GetChatServerReply {
        let server = try await answering { try await status.chatServer(id: request.id) }
        return .with { reply in
            if let server {
                reply.found = true
                reply.server = .init(server)
            }
        }
    }

    func issueToken(
        request: Wechat_Cluster_V1_IssueTokenRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_IssueTokenReply {
        let issued = try await answering { try await status.issueToken(for: request.userID) }
        return .with {
            $0.token = issued.token
            $0.userID = issued.userID
            $0.expiresAtMs = issued.expiresAtMs
        }
    }

    func authenticate(
        request: Wechat_Cluster_V1_AuthenticateRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_AuthenticateReply {
        let session = try await answering { try await status.authenticate(token: request.token) }
        return .with {
            $0.userID = session.userID
            $0.expiresAtMs = session.expiresAtMs
        }
    }

    func revokeToken(
        request: Wechat_Cluster_V1_RevokeTokenRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_RevokeTokenReply {
        let wasLive = try await answering { try await status.revokeToken(request.token) }
        return .with { $0.wasLive = wasLive }
    }

    func revokeAllTokens(
        request: Wechat_Cluster_V1_RevokeAllTokensRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_RevokeAllTokensReply {
        try await answering { try await status.revokeAllTokens(of: request.userID) }
        return .init()
    }

    func connectionOpened(
        request: Wechat_Cluster_V1_ConnectionEvent,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_ConnectionEventReply {
        let cameOnline = await status.connectionOpened(user: request.userID, chatServerID: request.chatServerID)
        return .with { $0.presenceChanged = cameOnline }
    }

    func connectionClosed(
        request: Wechat_Cluster_V1_ConnectionEvent,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_ConnectionEventReply {
        let wentOffline = await status.connectionClosed(user: request.userID, chatServerID: request.chatServerID)
        return .with { $0.presenceChanged = wentOffline }
    }

    func onlineUsers(
        request: Wechat_Cluster_V1_OnlineUsersRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_OnlineUsersReply {
        let online = await status.onlineUsers(among: request.userIds)
        return .with { $0.userIds = request.userIds.filter(online.contains) }
    }

    func connectionCounts(
        request: Wechat_Cluster_V1_ConnectionCountsRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_ConnectionCountsReply {
        let counts = await status.connectionCounts()
        return .with { $0.counts = counts.mapValues { Int32(clamping: $0) } }
    }

    func disconnectEverywhere(
        request: Wechat_Cluster_V1_DisconnectEverywhereRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_DisconnectEverywhereReply {
        status.orderDisconnect(DisconnectOrder(request))
        return .init()
    }

    func watchPresence(
        request: Wechat_Cluster_V1_WatchPresenceRequest,
        response: RPCWriter<Wechat_Cluster_V1_PresenceUpdate>,
        context: ServerContext
    ) async throws {
        for await update in status.watchPresence() {
            try await response.write(
                .with {
                    $0.snapshot = update.isSnapshot
                    $0.users = update.users.map { user, servers in
                        .with {
                            $0.userID = user
                            $0.chatServerIds = servers
                        }
                    }
                    $0.disconnects = update.disconnects.map(Wechat_Cluster_V1_DisconnectEverywhereRequest.init)
                }
            )
        }
    }
}

extension DisconnectOrder {
    /// An order as it crosses the wire (an unknown code, from a newer version, is taken for a
    /// revoked session; an empty session means every session).
    init(_ order: Wechat_Cluster_V1_DisconnectEverywhereRequest) {
        self.init(
            user: order.userID,
            session: order.session.isEmpty ? nil : order.session,
            reason: ChatError(ErrorCode(rawValue: order.code) ?? .invalidToken, order.message)
        )
    }
}

extension Wechat_Cluster_V1_DisconnectEverywhereRequest {
    init(_ order: DisconnectOrder) {
        self.init()
        userID = order.user
        session = order.session ?? ""
        code = order.reason.code.rawValue
        message = order.reason.message
    }
}
