import ChatProtocol
import Foundation

/// The request API the app calls: search, friends, read marks, history. Each request goes over
/// the current connection; offline, those that must reach the server fail with `unavailable`,
/// while history and search answer from the cache.
extension ChatSession {
    private func request(_ payload: WireEnvelope.OneOf_Payload) async throws -> WireEnvelope.OneOf_Payload {
        guard let connection, state.connection.isConnected || cursor.isPulling else {
            throw ChatError(.unavailable, "Not connected to the server.")
        }
        return try await connection.request(payload)
    }

    public func searchUsers(_ query: String, limit: UInt32 = 20) async throws -> [UserSummary] {
        var search = WireSearchUsers()
        search.query = query
        search.limit = limit
        guard case .userList(let list) = try await request(.searchUsers(search)) else { return [] }
        return list.users.map(UserSummary.init)
    }

    public func sendFriendRequest(to user: UserID, message: String) async throws {
        var wire = WireSendFriendRequest()
        wire.toUserID = user
        wire.message = message
        _ = try await request(.sendFriendRequest(wire))
        try await refreshSocial()
    }

    public func respondToFriendRequest(from user: UserID, accept: Bool) async throws {
        var wire = WireRespondFriendRequest()
        wire.fromUserID = user
        wire.accept = accept
        _ = try await request(.respondFriendRequest(wire))
        try await refreshSocial()
    }

    /// Withdraws the friend request I sent to `user`: it leaves their list and mine (on every
    /// device). `no_such_request` if there is none (answered or withdrawn meanwhile).
    public func cancelFriendRequest(to user: UserID) async throws {
        var wire = WireCancelFriendRequest()
        wire.toUserID = user
        _ = try await request(.cancelFriendRequest(wire))
        try await refreshSocial()
    }

    public func removeFriend(_ user: UserID) async throws {
        var wire = WireRemoveFriend()
        wire.userID = user
        _ = try await request(.removeFriend(wire))
        try await refreshSocial()
    }

    /// Lets others find me by my exact email in their search, or stops it.
    public func setFindableByEmail(_ findable: Bool) async throws {
        var wire = WireSetFindableByEmail()
        wire.findable = findable
        _ = try await request(.setFindableByEmail(wire))
        state.findableByEmail = findable
        publishState()
    }

    public func setBlocked(_ user: UserID, _ blocked: Bool) async throws {
        var wire = WireSetBlocked()
        wire.userID = user
        wire.blocked = blocked
        _ = try await request(.setBlocked(wire))
        try await refreshSocial()
    }

    public func setRemark(_ remark: String, for user: UserID) async throws {
        var wire = WireSetRemark()
        wire.userID = user
        wire.remark = remark
        _ = try await request(.setRemark(wire))
        try await refreshSocial()
    }

    /// Marks the conversation read up to its newest message (here and on my other devices).
    /// Offline, the mark is kept and sent once connected, so other devices learn of it too.
    public func markRead(_ peer: UserID) async throws {
        guard var conversation = state.conversations[peer], conversation.unread > 0 else { return }
        conversation.readSeq = conversation.lastSeq
        state.conversations[peer] = conversation
        try cache.setReadSeq(conversation.lastSeq, peer: peer)
        publishState()
        pendingReadMarks.insert(peer)
        outboxWake?.yield()
    }

    /// A page of history, newest first: from the cache when it holds the whole page without
    /// holes, otherwise from the server (and then kept in the cache).
    public func history(with peer: UserID, beforeSeq: UInt64 = 0, limit: Int = 50) async throws -> [ChatMessage] {
        let cached = try cache.history(peer: peer, beforeSeq: beforeSeq, limit: limit)
        let newest = beforeSeq == 0 ? (state.conversations[peer]?.lastSeq ?? 0) : beforeSeq - 1
        // A complete page runs newest, newest-1, … down to either `limit` messages or seq 1.
        let complete =
            cached.enumerated().allSatisfy {
                UInt64($0.offset) <= newest && $0.element.seq == newest - UInt64($0.offset)
            }
            && (cached.count == limit || cached.last?.seq == 1 || newest == 0)
        if complete || !state.connection.isConnected { return cached }
        var wire = WireFetchHistory()
        wire.peerID = peer
        wire.beforeSeq = beforeSeq
        wire.limit = UInt32(limit)
        guard case .messageList(let list) = try await request(.fetchHistory(wire)) else { return cached }
        let messages = list.messages.map(ChatMessage.init)
        try cache.apply(messages: messages, me: state.me.id)
        return messages
    }

    /// Full-text search of the local cache, newest first: every conversation, or the one with
    /// `peer`.
    public func search(_ text: String, peer: UserID? = nil, limit: Int = 100) throws -> [ChatMessage] {
        try cache.search(text, peer: peer, limit: limit)
    }

    /// How many messages `search` finds with no limit.
    public func searchCount(_ text: String, peer: UserID? = nil) throws -> Int {
        try cache.searchCount(text, peer: peer)
    }
}
