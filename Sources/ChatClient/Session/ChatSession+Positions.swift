import ChatProtocol
import Foundation

/// Messages, a friend's or a group's: not in the user's update log (since protocol 3). Each
/// conversation's history is kept gapless from the device's position (`ConversationPositions`):
/// after connecting, each conversation whose listed last seq is past its position is caught up
/// (`FetchHistory` after the position, oldest first); a pushed or acknowledged message that is
/// the next one is applied, one past a gap calls for a catch-up; a heartbeat whose
/// `direct_seq_sum` (or `group_seq_sum`) disagrees with this device's lists the conversations (or
/// the groups) again. What only a group has (its listing, members, changes) is
/// `ChatSession+Groups`'s.
///
/// On a new device (one that never finished catching up: `caughtUpOnce`) a conversation at
/// position 0 is asked for without `after_seq`, which the server answers with its newest page:
/// the position moves to the newest message, and what is older is fetched by `history(of:)` when
/// the chat is opened. A new device so costs one request per conversation, not its whole
/// history. Once caught up, a position of 0 means "everything up to 0": a conversation started
/// while the device was away is fetched whole (`after_seq` 0), so it can be read offline.
extension ChatSession {
    /// Catch-up pages one conversation's catch-up fetches at most (40,000 messages): a server
    /// cannot keep the client fetching forever. A conversation left behind is taken up by the
    /// next listing.
    static let maxCatchUpPages = 200

    // MARK: Catching up

    /// Fetches the conversation's history after this device's position, oldest first, a page at a
    /// time, until it reaches `last` (or the server has no more). One catch-up per conversation at
    /// a time: one asked for meanwhile makes it go round again.
    func catchUpConversation(_ conversation: ConversationKey, through last: UInt64) async throws {
        guard let connection, positions.beginCatchUp(conversation, through: last) else { return }
        var pagesLeft = Self.maxCatchUpPages
        do {
            while true {
                var more = true
                while more && pagesLeft > 0 {
                    let position = positions[conversation]
                    // Taken before asking: all up to it was committed when the page was served.
                    let target = max(positions.catchUpTarget(conversation), lastSeq(of: conversation))
                    guard position < target else { break }
                    pagesLeft -= 1
                    var wire = WireFetchHistory()
                    if let groupID = conversation.groupID {
                        wire.groupID = groupID
                    } else {
                        wire.peerID = conversation.rawValue
                    }
                    if position > 0 || caughtUpOnce { wire.afterSeq = position }
                    wire.limit = ProtocolLimits.maxPageSize
                    guard case .messageList(let list) = try await connection.request(.fetchHistory(wire)) else {
                        break
                    }
                    // Past the position as it is now: a push may have applied the next message
                    // while the page was on its way, and that one must not be applied twice. Only
                    // what belongs to this conversation (a server is not trusted to send that).
                    let now = positions[conversation]
                    let page = list.messages.map(ChatMessage.init)
                        .filter { $0.seq > now && $0.storageKey(of: state.me.id) == conversation }
                        .sorted { $0.seq < $1.seq }
                    more = list.moreAvailable && !list.messages.isEmpty
                    // With no more to come, everything up to the target this user may see is here
                    // (the rest of a group's is from before they joined or after they left): the
                    // position moves there, or each heartbeat's sum would ask for it again.
                    let reached = more ? max(page.last?.seq ?? now, now) : max(page.last?.seq ?? 0, target)
                    try applyMessages(page, in: conversation, through: reached, live: false)
                }
                if pagesLeft == 0 {
                    positions.abandonCatchUp(conversation)
                    return
                }
                if !positions.endCatchUpRound(conversation) { return }
            }
        } catch {
            positions.abandonCatchUp(conversation)
            throw error
        }
    }

    /// The last seq this device knows of the conversation (listed, or of a message applied).
    func lastSeq(of conversation: ConversationKey) -> UInt64 {
        if let groupID = conversation.groupID { return state.groups[groupID]?.lastSeq ?? 0 }
        if let peer = conversation.userID { return state.conversations[peer]?.lastSeq ?? 0 }
        return 0
    }

    // MARK: Applying

    /// Stores a conversation's messages and moves its position to `position` (in one
    /// transaction), then the state (previews, badges, the outbox, recalled texts) and the events.
    func applyMessages(
        _ messages: [ChatMessage],
        in conversation: ConversationKey,
        through position: UInt64?,
        live: Bool
    ) throws {
        let withdrawn = try cache.apply(
            messages: messages,
            positions: position.map { [conversation: $0] } ?? [:],
            me: state.me.id
        )
        if let position { positions.advance(conversation, to: position) }
        // A rename or a new owner among what a catch-up brought: the groups are listed again.
        if conversation.isGroup, messages.count > 1 || !live,
            messages.contains(where: { $0.change?.changesSummary == true })
        {
            groupChangedInCatchUp = true
        }
        for message in messages { noteMessage(message) }
        noteWithdrawn(withdrawn)
        if let groupID = conversation.groupID, let group = state.groups[groupID] {
            try cache.saveGroups([group], me: state.me.id)
        }
        publishState()
        for message in messages { publish(.message(message, live: live)) }
        for withdrawal in withdrawn { publish(.messageRecalled(withdrawal.conversation, seq: withdrawal.seq)) }
    }

    /// A message that came on its own (a push, an ack, an answer, one a log still carried):
    /// applied if it is the next one of its conversation, else the conversation is caught up. A
    /// group's message may call for more (`followGroupMessage`).
    func receiveMessage(_ message: ChatMessage, live: Bool) async {
        guard let conversation = message.storageKey(of: state.me.id) else { return }
        if let groupID = conversation.groupID, state.groups[groupID] == nil {
            // A group this device does not know yet (just added to it): its listing brings it.
            await relistGroups()
            return
        }
        do {
            switch positions.decide(message.seq, in: conversation) {
            case .seen:
                return
            case .apply:
                try applyMessages([message], in: conversation, through: message.seq, live: live)
            case .catchUp:
                try await catchUpConversation(conversation, through: message.seq)
            }
        } catch {
            logger.debug("a message could not be applied", metadata: ["error": "\(error)"])
        }
        if let groupID = conversation.groupID { await followGroupMessage(message, in: groupID) }
    }

    /// A message from me, its ack in hand (the server sends it to my other devices, not to this
    /// one): it is stored and shown at once, so it leaves the outbox even past a gap (and stays
    /// on screen should that gap's catch-up fail). Its position is moved by the push loop, where
    /// `ChatConnection` put the ack in the stream: taking it here could run ahead of pushes
    /// queued before it (a friend's message, answered at the same moment), see a gap that is not
    /// there, and show that message as caught up rather than live (no bell). A `duplicate` ack
    /// is not in the stream (its original was committed on an earlier connection), so it is
    /// taken here.
    func receiveOwnMessage(_ message: ChatMessage, duplicate: Bool) async throws {
        try cache.apply(messages: [message], me: state.me.id)
        state.outbox.removeAll { $0.clientMessageID == message.clientMessageID }
        noteMessage(message)
        if duplicate { await receiveMessage(message, live: true) }
        publishState()
    }

    /// Messages a log written before protocol 3 carried, taken as pushes once the updates around
    /// them are applied.
    func receiveMessagesOutOfLog() async {
        while !messagesOutOfLog.isEmpty {
            let message = messagesOutOfLog.removeFirst()
            await receiveMessage(message, live: false)
        }
    }

    // MARK: One-to-one conversations

    /// Catches up each one-to-one conversation whose last seq (as listed) is past this device's
    /// position, in the order of the friends' ids. One that fails is left to the next listing
    /// (a heartbeat's sum asks for it); a connection lost meanwhile ends this as any request does.
    /// Returns whether every one was caught up.
    @discardableResult
    func catchUpDirectConversations() async throws -> Bool {
        var all = true
        for peer in state.conversations.keys.sorted() {
            let conversation = ConversationKey.direct(peer)
            let last = lastSeq(of: conversation)
            guard last > positions[conversation] else { continue }
            do { try await catchUpConversation(conversation, through: last) } catch {
                guard let connection, await connection.closeReason == nil else { throw error }
                all = false
                logger.warning(
                    "catching up a conversation failed",
                    metadata: ["peer": "\(peer)", "error": "\(error)"]
                )
            }
        }
        return all
    }

    /// Lists the one-to-one conversations again and catches up those behind, logging a failure
    /// (the next heartbeat's sum tries again).
    func relistConversations() async {
        do {
            try await refreshConversations()
            try await catchUpDirectConversations()
        } catch {
            logger.debug("listing conversations failed", metadata: ["error": "\(error)"])
        }
    }

    /// A heartbeat's answers said the sum of my one-to-one conversations' last seqs was
    /// `previous` a heartbeat ago and is `current` now. Every push sent before `previous` was
    /// counted should have come by now: below both, a push was missed, so the conversations are
    /// listed again and caught up. Above is no sign of trouble: under steady traffic the pushes
    /// of messages committed after the server summed often arrive before its answer (unlike
    /// groups, where a sum above the server's also means a group this device no longer follows).
    /// Once per disagreement, so a server that never agrees costs one listing, not one a
    /// heartbeat.
    func listConversationsIfBehind(previous: UInt64, current: UInt64) async {
        let mine = positions.sum(of: state.conversations.keys.map(ConversationKey.direct))
        guard directSumCheck.shouldList(mine: mine, server: current, disagrees: mine < min(previous, current))
        else { return }
        logger.debug(
            "conversation positions disagree with the server; listing conversations",
            metadata: ["mine": "\(mine)", "server": "\(current)"]
        )
        await relistConversations()
    }
}
