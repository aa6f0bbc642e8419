import ChatProtocol
import Foundation

/// The outbox: what was typed, kept in the cache until the server acknowledges it, sent in
/// order, one ack at a time, by one worker per connection (a child task of `serve`).
extension ChatSession {
    /// Queues a message to a friend (see `send(_:to:mentions:mentionsAll:replyTo:)`).
    @discardableResult
    public func send(_ text: String, to peer: UserID) throws -> OutboxMessage {
        try send(text, to: .direct(peer))
    }

    /// Queues a message: it is in the outbox (and on screen) at once, and sent as soon as the
    /// session is connected. Returns the queued message. In a group it may mention members (or
    /// everyone: the owner only); in any conversation it may answer the message at `replyTo`.
    @discardableResult
    public func send(
        _ text: String,
        to conversation: ConversationKey,
        mentions: [UserID] = [],
        mentionsAll: Bool = false,
        replyTo: UInt64 = 0
    ) throws -> OutboxMessage {
        try AccountRules.validateText(text)
        guard !text.allSatisfy(\.isWhitespace) else { throw ChatError(.invalidText, "A message cannot be empty.") }
        guard conversation.rawValue != 0 else { throw ChatError(.badRequest, "No such conversation.") }
        // Mentions are a group's; each member once.
        var seen = Set<UserID>()
        let named = conversation.isGroup ? mentions.filter { seen.insert($0).inserted } : []
        guard named.count <= ProtocolLimits.maxMentions else {
            throw ChatError(.badRequest, "A message can mention at most \(ProtocolLimits.maxMentions) people.")
        }
        let message = OutboxMessage(
            clientMessageID: UUID().uuidString.lowercased(),
            peerID: conversation.rawValue,
            text: text,
            createdAtMs: Int64(Date().timeIntervalSince1970 * 1000),
            mentions: named,
            mentionsAll: conversation.isGroup && mentionsAll,
            replyToSeq: replyTo
        )
        try cache.enqueue(message)
        state.outbox.append(message)
        // The message says it for me now: the next keystroke may say "typing" again at once.
        typingSent[conversation] = nil
        publishState()
        outboxWake?.yield()
        return message
    }

    /// The connection's outbox worker: on every wake, sends the outbox and the read marks not
    /// yet confirmed. After a transient failure it waits and tries again; it ends when the
    /// connection's group is cancelled.
    func runOutbox(on connection: ChatConnection, wakes: AsyncStream<Void>) async {
        for await _ in wakes {
            // Read marks first, and again between retries: they must not wait behind a message
            // the server keeps refusing for now.
            await sendPendingReadMarks(on: connection)
            while let pause = await flushOutbox(on: connection) {
                try? await Task.sleep(for: .seconds(pause))
                if Task.isCancelled { return }
                await sendPendingReadMarks(on: connection)
            }
            await sendPendingReadMarks(on: connection)
        }
    }

    /// Sends the outbox in order, one ack at a time. A message the server refuses for good
    /// (not friends, blocked, invalid) is dropped and reported. Returns how long to wait before
    /// trying again after a transient failure (connection lost, server busy, sending too fast),
    /// or nil when the outbox is empty.
    private func flushOutbox(on connection: ChatConnection) async -> Double? {
        while let next = state.outbox.first {
            var request = WireSendMessage()
            if let groupID = next.conversation.groupID {
                request.groupID = groupID
                request.mentions = next.mentions
                request.mentionsAll = next.mentionsAll
            } else {
                request.toUserID = next.peerID
            }
            request.clientMsgID = next.clientMessageID
            request.text = next.text
            request.replyToSeq = next.replyToSeq
            do {
                guard case .messageAck(let ack) = try await connection.request(.sendMessage(request)) else {
                    // Not what the protocol answers: leave it for the next wake or connection.
                    logger.error("a message was answered with something other than an ack")
                    return nil
                }
                // A friend's message or a group's alike: not in the update log (the ack's update
                // id is 0 since protocol 3), it moves its conversation's position.
                try await receiveOwnMessage(ChatMessage(ack.message), duplicate: ack.duplicate)
                // Acknowledged, so the server has it, whatever the ack says: an ack that does not
                // name it (a server's bug) must not have it sent again and again.
                if state.outbox.first?.clientMessageID == next.clientMessageID {
                    try cache.dropFromOutbox(clientMessageID: next.clientMessageID)
                    state.outbox.removeFirst()
                }
                publishState()
            } catch let error as ChatError where Self.refusedForGood.contains(error.code) {
                // Report it and go on with the rest, never block behind it.
                try? cache.dropFromOutbox(clientMessageID: next.clientMessageID)
                state.outbox.removeAll { $0.clientMessageID == next.clientMessageID }
                publishState()
                publish(.messageRefused(conversation: next.conversation, text: next.text, error))
            } catch {
                return (error as? ChatError)?.code == .rateLimited ? 1 : 2
            }
        }
        return nil
    }

    /// Refusals that sending again cannot change.
    static let refusedForGood: Set<ErrorCode> = [
        .notFriends, .blocked, .invalidText, .payloadTooLarge, .badRequest, .notFound, .quotaExceeded,
        .notAMember, .notGroupOwner, .noSuchMessage,
    ]

    private func sendPendingReadMarks(on connection: ChatConnection) async {
        for conversation in pendingReadMarks {
            guard let seq = readSeq(of: conversation) else {
                pendingReadMarks.remove(conversation)
                continue
            }
            var wire = WireMarkRead()
            if let groupID = conversation.groupID {
                wire.groupID = groupID
            } else {
                wire.peerID = conversation.rawValue
            }
            wire.seq = seq
            do {
                _ = try await connection.request(.markRead(wire))
                // Read further while this one was on its way: that mark is still to be sent.
                if readSeq(of: conversation) ?? 0 <= seq { pendingReadMarks.remove(conversation) }
            } catch {
                return
            }
        }
    }

    private func readSeq(of conversation: ConversationKey) -> UInt64? {
        if let groupID = conversation.groupID { return state.groups[groupID]?.readSeq }
        return state.conversations[conversation.rawValue]?.readSeq
    }
}
