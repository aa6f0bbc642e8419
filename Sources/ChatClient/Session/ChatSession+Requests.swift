import ChatProtocol
import Foundation

/// The request API the app calls: search, friends, read marks, history. Each request goes over
/// the current connection; offline, those that must reach the server fail with `unavailable`,
/// while history and search answer from the cache.
extension ChatSession {
    func request(_ payload: WireEnvelope.OneOf_Payload) async throws -> WireEnvelope.OneOf_Payload {
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

    /// Marks the conversation with `peer` read (see `markRead(_:)` for any conversation).
    public func markRead(_ peer: UserID) async throws {
        try await markRead(.direct(peer))
    }

    /// Marks the conversation read up to its newest message (here and on my other devices); a
    /// group's "@" goes too. Offline, the mark is kept and sent once connected, so other devices
    /// learn of it too.
    public func markRead(_ conversation: ConversationKey) async throws {
        if let groupID = conversation.groupID {
            guard var group = state.groups[groupID],
                group.readSeq < group.lastSeq || group.unread > 0 || group.mentioned
            else { return }
            group.readSeq = max(group.readSeq, group.lastSeq)
            group.unread = 0
            group.mentioned = false
            state.groups[groupID] = group
            try cache.setReadSeq(group.readSeq, peer: conversation.rawValue)
            try cache.saveGroups([group], me: state.me.id)
        } else if let peer = conversation.userID {
            guard var direct = state.conversations[peer], direct.unread > 0 else { return }
            direct.readSeq = direct.lastSeq
            state.conversations[peer] = direct
            try cache.setReadSeq(direct.lastSeq, peer: peer)
        } else {
            return
        }
        publishState()
        pendingReadMarks.insert(conversation)
        outboxWake?.yield()
    }

    /// A page of the history with `peer` (see `history(of:)` for any conversation).
    public func history(with peer: UserID, beforeSeq: UInt64 = 0, limit: Int = 50) async throws -> [ChatMessage] {
        try await history(of: .direct(peer), beforeSeq: beforeSeq, limit: limit)
    }

    /// A page of history, newest first: from the cache when it holds the whole page without
    /// holes, otherwise from the server (and then kept in the cache). A group's history begins
    /// where I joined it: what is before is not mine to see.
    public func history(
        of conversation: ConversationKey,
        beforeSeq: UInt64 = 0,
        limit: Int = 50
    ) async throws -> [ChatMessage] {
        guard limit > 0 else { return [] }
        let cached = try cache.history(peer: conversation.rawValue, beforeSeq: beforeSeq, limit: limit)
        let lastSeq: UInt64
        var firstSeq: UInt64 = 1
        if let groupID = conversation.groupID {
            lastSeq = state.groups[groupID]?.lastSeq ?? 0
            firstSeq = max(1, state.groups[groupID]?.joinedSeq ?? 1)
        } else {
            lastSeq = state.conversations[conversation.rawValue]?.lastSeq ?? 0
        }
        let newest = beforeSeq == 0 ? lastSeq : beforeSeq - 1
        // A complete page runs newest, newest-1, … down to either `limit` messages or the first.
        let complete =
            cached.enumerated().allSatisfy {
                UInt64($0.offset) <= newest && $0.element.seq == newest - UInt64($0.offset)
            }
            && (cached.count == limit || cached.last.map { $0.seq <= firstSeq } == true || newest < firstSeq)
        if complete || !state.connection.isConnected { return cached }
        var wire = WireFetchHistory()
        if let groupID = conversation.groupID { wire.groupID = groupID } else { wire.peerID = conversation.rawValue }
        wire.beforeSeq = beforeSeq
        wire.limit = UInt32(clamping: limit)
        guard case .messageList(let list) = try await request(.fetchHistory(wire)) else { return cached }
        // Only what belongs to this conversation is kept (a server is not trusted to send that).
        let messages = list.messages.map(ChatMessage.init).filter { $0.storageKey(of: state.me.id) == conversation }
        let withdrawn = try cache.apply(messages: messages, me: state.me.id)
        if !withdrawn.isEmpty {
            noteWithdrawn(withdrawn)
            publishState()
            for withdrawal in withdrawn { publish(.messageRecalled(withdrawal.conversation, seq: withdrawal.seq)) }
        }
        return messages
    }

    /// Full-text search of the local cache, newest first: every conversation, or one.
    public func search(_ text: String, conversation: ConversationKey? = nil, limit: Int = 100) throws -> [ChatMessage] {
        try cache.search(text, peer: conversation?.rawValue, limit: limit)
    }

    /// How many messages `search` finds with no limit.
    public func searchCount(_ text: String, conversation: ConversationKey? = nil) throws -> Int {
        try cache.searchCount(text, peer: conversation?.rawValue)
    }

    /// `search` in the conversation with `peer`, or (nil) every conversation.
    public func search(_ text: String, peer: UserID?, limit: Int = 100) throws -> [ChatMessage] {
        try search(text, conversation: peer.map(ConversationKey.direct), limit: limit)
    }

    public func searchCount(_ text: String, peer: UserID?) throws -> Int {
        try searchCount(text, conversation: peer.map(ConversationKey.direct))
    }
}
