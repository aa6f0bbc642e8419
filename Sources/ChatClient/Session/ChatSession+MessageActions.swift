import ChatProtocol
import Foundation

/// What one does to messages and conversations besides sending: recall, mute, "typing…", and
/// read receipts.
extension ChatSession {
    // MARK: Recall

    /// Withdraws my message at `seq` (within `ProtocolLimits.recallWindowMs` of sending it): its
    /// text goes for everyone, and the conversation gets a line saying I recalled a message.
    /// Refused with `recall_too_late`, `not_your_message` or `no_such_message`.
    public func recall(seq: UInt64, in conversation: ConversationKey) async throws {
        var wire = WireRecallMessage()
        if let groupID = conversation.groupID {
            wire.groupID = groupID
        } else if let peer = conversation.userID {
            wire.peerID = peer
        } else {
            throw ChatError(.badRequest, "No such conversation.")
        }
        wire.seq = seq
        let answer = try await request(.recallMessage(wire))
        if case .messageAck(let ack) = answer, ack.hasMessage {
            // The line is the conversation's next message, a friend's or a group's: taken as its
            // push would be (past a gap, the conversation is caught up, the line with it).
            let line = ChatMessage(ack.message)
            guard line.storageKey(of: state.me.id) == conversation else { return }
            await receiveMessage(line, live: true)
        } else if try cache.withdraw(seq: seq, sender: state.me.id, in: conversation) {
            // Answered without the line (it comes with the conversation's catch-up): the
            // original is withdrawn here now.
            noteWithdrawn([MessageWithdrawal(conversation: conversation, seq: seq)])
            publishState()
            publish(.messageRecalled(conversation, seq: seq))
        }
    }

    // MARK: Mute

    /// Mutes or unmutes the conversation on all my devices: no bell, the unread count dimmed
    /// and left out of the total.
    public func setMuted(_ muted: Bool, _ conversation: ConversationKey) async throws {
        var wire = WireSetMuted()
        if let groupID = conversation.groupID {
            wire.groupID = groupID
        } else if let peer = conversation.userID {
            wire.peerID = peer
        } else {
            throw ChatError(.badRequest, "No such conversation.")
        }
        wire.muted = muted
        _ = try await request(.setMuted(wire))
        // The update the server logs brings it to my other devices; this one needs no wait.
        try cache.setMuted(muted, conversation: conversation)
        noteMuted(muted, conversation)
        publishState()
    }

    // MARK: Typing

    /// Says I am typing in the conversation. Call it on every keystroke: it is sent at most once
    /// every `ProtocolLimits.typingRepeatSeconds` per conversation, never while disconnected,
    /// and never waited for (nothing is lost if it is not delivered).
    public func sendTyping(in conversation: ConversationKey) {
        guard let connection, state.connection.isConnected else { return }
        var wire = WireSetTyping()
        if let groupID = conversation.groupID {
            wire.groupID = groupID
        } else if let peer = conversation.userID {
            wire.peerID = peer
        } else {
            return
        }
        let now = Self.nowMs()
        // A clock set back counts as long ago.
        if let last = typingSent[conversation], last <= now, now - last < ProtocolLimits.typingRepeatSeconds * 1000 {
            return
        }
        typingSent[conversation] = now
        // Whatever the server answers (or if it does not), the request is done with within the
        // time the other side shows it: nothing waits on it or outlives the connection for long.
        let timeout = Double(ProtocolLimits.typingShownSeconds)
        Task { _ = try? await connection.request(.setTyping(wire), timeout: timeout) }
    }

    /// Someone is typing to me, or in one of my groups: shown until it lapses.
    func noteTyping(_ push: WireTypingPush) {
        guard push.userID > 0, push.userID != state.me.id else { return }
        let conversation: ConversationKey
        if push.groupID > 0 {
            // Only groups I know, so a server cannot grow the state with made-up ones.
            guard state.groups[push.groupID] != nil else { return }
            conversation = .group(push.groupID)
        } else if push.groupID == 0 {
            conversation = .direct(push.userID)
        } else {
            return
        }
        let typists = state.typing[conversation] ?? [:]
        guard typists[push.userID] != nil || typists.count < ProtocolLimits.maxGroupMembers else { return }
        state.typing[conversation, default: [:]][push.userID] = Self.nowMs() + ProtocolLimits.typingShownSeconds * 1000
        publishState()
    }

    /// Drops the typing entries that have lapsed, and has the state published again when the
    /// earliest of the others does, so the UI clears it without anything else happening.
    func dropLapsedTyping() {
        guard !state.typing.isEmpty else { return }
        let now = Self.nowMs()
        var earliest: Int64?
        for (conversation, typists) in state.typing {
            let live = typists.filter { $0.value > now }
            state.typing[conversation] = live.isEmpty ? nil : live
            if let first = live.values.min() { earliest = min(earliest ?? first, first) }
        }
        guard let earliest else { return }
        // One already due by then does it (and schedules the next).
        if let typingLapse, typingLapse.at <= earliest { return }
        typingLapse?.task.cancel()
        let delay = max(0, earliest - now) + 20
        typingLapse = (
            earliest,
            Task { [weak self] in
                try? await Task.sleep(for: .milliseconds(delay))
                guard !Task.isCancelled else { return }
                await self?.typingLapsed()
            }
        )
    }

    private func typingLapsed() {
        typingLapse = nil
        publishState()
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: Read receipts

    /// Shows my read marks to the people I chat with (✓✓ on their side), or stops it; off also
    /// hides theirs from me, as in WeChat.
    public func setSendsReadReceipts(_ enabled: Bool) async throws {
        var wire = WireSetSendReadReceipts()
        wire.enabled = enabled
        _ = try await request(.setSendReadReceipts(wire))
        state.sendsReadReceipts = enabled
        if enabled {
            publishState()
            // How far each friend has read comes with the conversation list.
            try await refreshConversations()
        } else {
            try cache.clearPeerReadSeqs()
            for peer in state.conversations.keys { state.conversations[peer]?.peerReadSeq = 0 }
            publishState()
        }
    }
}
