import ChatProtocol
import Foundation

/// Sync: the friend list, the conversations and the update log, brought up to date after each
/// connect and kept there by pushes. The log holds what is not a message: read marks (mine, and
/// friends' receipts), settings (mute) and changes to my groups. Messages are not in it (since
/// protocol 3): each conversation is followed by its position (`ChatSession+Positions`). The
/// log's rules (in order, once each, gaps pulled) are `SyncCursor`'s; this applies what it lets
/// through to the cache, then to the state.
extension ChatSession {
    /// After Hello: friends, conversations, then every update the cursor has not seen; then the
    /// messages, which are not in the log: the groups, listed and each one behind caught up, then
    /// each one-to-one conversation whose listed last seq is past its position (after the groups,
    /// so a connect's first requests keep the ids `ClientSeedCorpus` answers). Messages come once
    /// the pull has ended, so an update pushed meanwhile is applied (or pulled) as usual, not
    /// left to a pull that is over.
    func catchUpAfterConnecting() async throws {
        do {
            _ = cursor.beginPull()
            defer { cursor.endPull() }
            try await refreshSocial()
            try await refreshConversations()
            try await catchUp()
        }
        await receiveMessagesOutOfLog()
        var complete = true
        do { try await refreshGroups() } catch {
            // A refusal leaves the rest of the session working (groups come with the next
            // listing); a connection lost meanwhile ends this one as any other failure does.
            guard let connection, await connection.closeReason == nil else { throw error }
            logger.warning("listing groups failed", metadata: ["error": "\(error)"])
            complete = false
        }
        if !(try await catchUpDirectConversations()) { complete = false }
        // Only a catch-up that got everything makes this device an old one: one refused
        // midway (the server's request limit, on a new device with hundreds of conversations)
        // takes the newest pages again next time, rather than whole histories.
        if complete && !caughtUpOnce {
            try cache.setCaughtUpOnce()
            caughtUpOnce = true
        }
    }

    /// Pulls every update after the cursor, page by page, and again while pushes revealed gaps.
    private func catchUp() async throws {
        guard let connection else { return }
        repeat {
            cursor.beginRound()
            var more = true
            while more {
                var request = WireSync()
                request.afterUpdateID = cursor.position
                request.limit = ProtocolLimits.maxPageSize
                guard case .syncReply(let reply) = try await connection.request(.sync(request)) else { return }
                if reply.horizonUpdateID > cursor.position {
                    try await resync(from: reply.horizonUpdateID)
                }
                try apply(reply.updates)
                // "More" with nothing in the page would ask the same question forever.
                more = reply.moreAvailable && !reply.updates.isEmpty
            }
        } while cursor.gapSeen
    }

    /// Applies the updates that follow on from the cursor: stored first, then the cursor moves,
    /// then the state. Messages among them are only set aside (`messagesOutOfLog`).
    private func apply(_ updates: [WireUpdate]) throws {
        guard let (run, through) = cursor.run(of: updates) else { return }
        var marks: [(peer: Int64, seq: UInt64)] = []
        var peerMarks: [(peer: UserID, seq: UInt64)] = []
        var mutes: [(conversation: ConversationKey, muted: Bool)] = []
        for update in run {
            switch update.kind {
            case .message(let wire):
                // Messages are not logged since protocol 3; one a log written before still holds
                // goes the way of a push: its conversation's position decides (`followUpdates`).
                messagesOutOfLog.append(ChatMessage(wire))
            case .read(let mark):
                // Ids a server should never send (0, negative) are dropped: a negative one would
                // land in a group's key, and negating Int64.min traps.
                if mark.groupID > 0 {
                    marks.append((ConversationKey.group(mark.groupID).rawValue, mark.seq))
                } else if mark.groupID == 0, mark.peerID > 0, mark.byPeer {
                    peerMarks.append((mark.peerID, mark.seq))
                } else if mark.groupID == 0, mark.peerID > 0 {
                    marks.append((mark.peerID, mark.seq))
                }
            case .groupChanged:
                groupListStale = true
            case .settings(let settings):
                if let conversation = Self.conversation(peer: settings.peerID, group: settings.groupID) {
                    mutes.append((conversation, settings.muted))
                }
            case nil: break
            }
        }
        try cache.apply(
            messages: [],
            readMarks: marks,
            peerReadMarks: peerMarks,
            mutes: mutes,
            me: state.me.id,
            cursor: through
        )
        cursor.advance(to: through)
        for mark in marks { noteRead(ConversationKey(rawValue: mark.peer), upTo: mark.seq) }
        for mark in peerMarks {
            state.conversations[mark.peer, default: Conversation(peerID: mark.peer)].peerReadSeq =
                max(state.conversations[mark.peer]?.peerReadSeq ?? 0, mark.seq)
        }
        for mute in mutes { noteMuted(mute.muted, mute.conversation) }
        publishState()
    }

    /// The conversation a request or update names: a friend (`peer`) or a group; nil for ids no
    /// conversation has (both or neither set, or not positive).
    static func conversation(peer: Int64, group: Int64) -> ConversationKey? {
        if group > 0, peer == 0 { return .group(group) }
        if peer > 0, group == 0 { return .direct(peer) }
        return nil
    }

    /// I read `conversation` up to `seq` (here or on another device).
    func noteRead(_ conversation: ConversationKey, upTo seq: UInt64) {
        if let groupID = conversation.groupID {
            guard var group = state.groups[groupID] else { return }
            group.readSeq = max(group.readSeq, seq)
            if group.readSeq >= group.lastSeq {
                group.unread = 0
                group.mentioned = false
            } else {
                // What is left unread is not known here exactly: at most what follows the mark.
                group.unread = min(group.unread, group.lastSeq - group.readSeq)
            }
            state.groups[groupID] = group
            try? cache.saveGroups([group], me: state.me.id)
        } else if let peer = conversation.userID {
            state.conversations[peer, default: Conversation(peerID: peer)].readSeq =
                max(state.conversations[peer]?.readSeq ?? 0, seq)
        }
    }

    func noteMuted(_ muted: Bool, _ conversation: ConversationKey) {
        if let groupID = conversation.groupID {
            state.groups[groupID]?.muted = muted
        } else if let peer = conversation.userID {
            state.conversations[peer, default: Conversation(peerID: peer)].muted = muted
        }
    }

    /// Recalled messages that are the conversations' previews, or that their previews quote,
    /// lose their text in the state too (the cache has them withdrawn already).
    func noteWithdrawn(_ withdrawn: [MessageWithdrawal]) {
        func withdraw(_ message: inout ChatMessage?, _ seq: UInt64) {
            if message?.seq == seq {
                message?.text = ""
                message?.recalled = true
            }
            if message?.reply?.seq == seq { message?.reply?.excerpt = "" }
        }
        for withdrawal in withdrawn {
            if let groupID = withdrawal.conversation.groupID, state.groups[groupID] != nil {
                withdraw(&state.groups[groupID]!.lastMessage, withdrawal.seq)
            } else if let peer = withdrawal.conversation.userID, state.conversations[peer] != nil {
                withdraw(&state.conversations[peer]!.lastMessage, withdrawal.seq)
            }
        }
    }

    /// The server compacted its update log past this device's cursor: what it missed (read marks,
    /// mutes, group changes) is not in the log any more. Conversations and friends are fetched
    /// whole (read marks, mutes, unread counts) and the cursor moves to where the log now begins.
    /// Messages are not in the log: their positions do not move, and catching up goes on as usual.
    private func resync(from horizon: UInt64) async throws {
        logger.notice(
            "fell behind the server's update log; resyncing",
            metadata: ["cursor": "\(cursor.position)", "horizon": "\(horizon)"]
        )
        try await refreshSocial()
        try await refreshConversations()
        try cache.apply(messages: [], readMarks: [], me: state.me.id, cursor: horizon)
        cursor.advance(to: horizon)
        // The groups' changes logged before the horizon are gone with it.
        groupListStale = true
    }

    func noteMessage(_ message: ChatMessage) {
        guard let key = message.storageKey(of: state.me.id) else { return }
        state.typing[key]?[message.senderID] = nil
        if let groupID = key.groupID {
            noteGroupMessage(message, in: groupID)
            return
        }
        let peer = message.peer(of: state.me.id)
        var conversation = state.conversations[peer] ?? Conversation(peerID: peer)
        if message.seq > conversation.lastSeq {
            conversation.lastSeq = message.seq
            conversation.lastMessage = message
        }
        if message.senderID == state.me.id {
            conversation.readSeq = max(conversation.readSeq, message.seq)
            state.outbox.removeAll { $0.clientMessageID == message.clientMessageID }
        }
        state.conversations[peer] = conversation
    }

    func handle(_ push: WireEnvelope) async {
        switch push.payload {
        case .updatePush(let update):
            switch cursor.decide(push: update.update.updateID) {
            case .apply:
                do { try apply([update.update]) } catch {
                    logger.error("cache write failed", metadata: ["error": "\(error)"])
                }
            case .pull:
                await pull()
            case .leaveToPull:
                break
            }
            await followUpdates()
        case .messagePush(let pushed):
            // A friend's message or a group's (an ack of this connection's comes this way too,
            // where it arrived: `ChatConnection`).
            guard pushed.hasMessage else { break }
            await receiveMessage(ChatMessage(pushed.message), live: true)
        case .typingPush(let typing):
            noteTyping(typing)
        case .presencePush(let presence):
            if state.friends[presence.userID] != nil {
                state.friends[presence.userID]?.online = presence.online
                publishState()
            }
        case .friendEvent(let event):
            publish(.friendEvent(event.kind, UserSummary(event.user), message: event.message))
            try? await refreshSocial()
        case .goodbye(let goodbye):
            logger.info("server said goodbye", metadata: ["reason": "\(goodbye.reason)"])
        default:
            break
        }
    }

    /// The update log reached `latest` a whole heartbeat ago and this device is still short of
    /// it: a push was missed (pushes are hints: one can be dropped while a user moves between
    /// chat nodes, or a node restarts), and nothing later may show the gap. Pull it now. Updates
    /// still on their way are not chased: only what a heartbeat's time did not bring.
    func pullIfStillBehind(_ latest: UInt64) async {
        guard latest > cursor.position else { return }
        logger.debug(
            "behind the update log; pulling",
            metadata: ["cursor": "\(cursor.position)", "latest": "\(latest)"]
        )
        await pull()
    }

    private func pull() async {
        guard cursor.beginPull() else { return }
        do { try await catchUp() } catch { logger.debug("pull failed", metadata: ["error": "\(error)"]) }
        cursor.endPull()
        await followUpdates()
        if state.connection.isConnected { resumeWaiters() }
    }

    /// What applied updates left to do over the network: messages a log carried (a log written
    /// before protocol 3: taken as pushes), and a group list to fetch again.
    private func followUpdates() async {
        await receiveMessagesOutOfLog()
        guard groupListStale, !cursor.isPulling else { return }
        do { try await refreshGroups() } catch {
            logger.debug("listing groups failed", metadata: ["error": "\(error)"])
        }
    }

    func refreshSocial() async throws {
        guard let connection else { return }
        // Both lists in one round trip (connecting waits on this).
        let replies = try await connection.requests([
            .listFriends(WireListFriends()), .listFriendRequests(WireListFriendRequests()),
        ])
        guard replies.count == 2, case .friendList(let list) = replies[0],
            case .friendRequestList(let requests) = replies[1]
        else { return }
        // A server listing someone twice keeps the first (the cache's table has one row each).
        var seen = Set<UserID>()
        let friends = list.friends.filter { seen.insert($0.user.id).inserted }.map { wire in
            Friend(
                user: UserSummary(wire.user),
                remark: wire.remark,
                online: wire.online,
                blockedByMe: wire.blockedByMe,
                sinceMs: wire.sinceMs
            )
        }
        try cache.replaceFriends(friends)
        state.friends = Dictionary(friends.map { ($0.user.id, $0) }, uniquingKeysWith: { first, _ in first })
        let convert = { (wire: WireFriendRequest) in
            FriendRequest(
                from: UserSummary(wire.from),
                to: UserSummary(wire.to),
                message: wire.message,
                createdAtMs: wire.createdAtMs
            )
        }
        state.incomingRequests = requests.incoming.map(convert)
        state.outgoingRequests = requests.outgoing.map(convert)
        try cache.saveUsers(state.incomingRequests.map(\.from) + state.outgoingRequests.map(\.to))
        publishState()
    }

    /// Every conversation, a page at a time (a list of any length stays within a frame).
    func refreshConversations() async throws {
        guard let connection else { return }
        var request = WireListConversations()
        var more = true
        // However many pages a server claims, this many at most (a quarter of a million
        // conversations): a client must not loop or fill its disk at a server's word.
        var pagesLeft = 500
        while more && pagesLeft > 0 {
            pagesLeft -= 1
            guard case .conversationList(let list) = try await connection.request(.listConversations(request)) else {
                return
            }
            let conversations = list.conversations.filter { $0.peerID > 0 }.map { wire in
                var conversation = Conversation(
                    peerID: wire.peerID,
                    lastMessage: wire.hasLastMessage ? ChatMessage(wire.lastMessage) : nil,
                    lastSeq: wire.lastSeq,
                    readSeq: wire.readSeq
                )
                conversation.muted = wire.muted
                conversation.peerReadSeq = wire.peerReadSeq
                return conversation
            }
            try cache.mergeConversations(conversations, me: state.me.id)
            // A page that does not move on (a server that says "more" forever) ends the loop.
            guard let last = list.conversations.last?.peerID, last > request.afterPeerID else { break }
            request.afterPeerID = last
            more = list.moreAvailable
        }
        for conversation in try cache.conversations() {
            state.conversations[conversation.peerID] = conversation
        }
        publishState()
    }
}
