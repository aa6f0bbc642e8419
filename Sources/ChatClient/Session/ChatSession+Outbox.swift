import ChatProtocol
import Foundation

/// The outbox: what was typed, kept in the cache until the server acknowledges it, sent in
/// order, one ack at a time, by one worker per connection (a child task of `serve`).
extension ChatSession {
    /// Queues a message: it is in the outbox (and on screen) at once, and sent as soon as the
    /// session is connected. Returns the queued message.
    @discardableResult
    public func send(_ text: String, to peer: UserID) throws -> OutboxMessage {
        try AccountRules.validateText(text)
        guard !text.allSatisfy(\.isWhitespace) else { throw ChatError(.invalidText, "A message cannot be empty.") }
        let message = OutboxMessage(
            clientMessageID: UUID().uuidString.lowercased(),
            peerID: peer,
            text: text,
            createdAtMs: Int64(Date().timeIntervalSince1970 * 1000)
        )
        try cache.enqueue(message)
        state.outbox.append(message)
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
            request.toUserID = next.peerID
            request.clientMsgID = next.clientMessageID
            request.text = next.text
            do {
                guard case .messageAck(let ack) = try await connection.request(.sendMessage(request)) else {
                    // Not what the protocol answers: leave it for the next wake or connection.
                    logger.error("a message was answered with something other than an ack")
                    return nil
                }
                let message = ChatMessage(ack.message)
                try cache.apply(messages: [message], me: state.me.id)
                noteMessage(message)
                publishState()
            } catch let error as ChatError where Self.refusedForGood.contains(error.code) {
                // Report it and go on with the rest, never block behind it.
                try? cache.dropFromOutbox(clientMessageID: next.clientMessageID)
                state.outbox.removeAll { $0.clientMessageID == next.clientMessageID }
                publishState()
                publish(.messageRefused(peer: next.peerID, text: next.text, error))
            } catch {
                return (error as? ChatError)?.code == .rateLimited ? 1 : 2
            }
        }
        return nil
    }

    /// Refusals that sending again cannot change.
    static let refusedForGood: Set<ErrorCode> = [
        .notFriends, .blocked, .invalidText, .payloadTooLarge, .badRequest, .notFound, .quotaExceeded,
    ]

    private func sendPendingReadMarks(on connection: ChatConnection) async {
        for peer in pendingReadMarks {
            guard let seq = state.conversations[peer]?.readSeq else { continue }
            var wire = WireMarkRead()
            wire.peerID = peer
            wire.seq = seq
            do {
                _ = try await connection.request(.markRead(wire))
                // Read further while this one was on its way: that mark is still to be sent.
                if state.conversations[peer]?.readSeq ?? 0 <= seq { pendingReadMarks.remove(peer) }
            } catch {
                return
            }
        }
    }
}
