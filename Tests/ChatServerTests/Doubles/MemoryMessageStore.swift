import ChatProtocol
import ChatServices
import Dispatch
import Synchronization

/// `MessageStore` in arrays: per-conversation sequence numbers and per-user update logs, each
/// commit one step under a lock, so the order of calls is the order of commits.
final class MemoryMessageStore: MessageStore {
    private struct State {
        var messages: [MessageRecord] = []
        var updates: [UserID: [UpdateRecord]] = [:]
        var readMarks: [String: UInt64] = [:]
    }

    private let state = Mutex(State())
    private let social: MemorySocialStore
    private let completions = DispatchQueue(label: "memory-message-store.completions")

    init(social: MemorySocialStore) {
        self.social = social
    }

    func commit(_ message: NewMessage) async throws -> CommittedMessage {
        try commitNow(message)
    }

    func commit(_ message: NewMessage, then completion: @escaping @Sendable (Result<CommittedMessage, Error>) -> Void) {
        // Committed now, in call order; the completion runs later on a queue of its own, as with
        // the real stores. (Run inline, on a test event loop, the ack's flush would wait: that
        // loop runs work scheduled from inside itself only when the test moves it.)
        let result = Result { try commitNow(message) }
        completions.async { completion(result) }
    }

    private func commitNow(_ message: NewMessage) throws -> CommittedMessage {
        guard social.isFriend(message.senderID, message.recipientID) else {
            throw ChatError(.notFriends, "You can only message your friends.")
        }
        guard !social.isBlocked(message.senderID, message.recipientID) else {
            throw ChatError(.blocked, "blocked")
        }
        return state.withLock { state in
            if let original = state.messages.first(where: {
                $0.senderID == message.senderID && $0.clientMessageID == message.clientMessageID
            }) {
                return CommittedMessage(message: original, duplicate: true)
            }
            let pair = Set([message.senderID, message.recipientID])
            let seq = UInt64(state.messages.filter { Set([$0.senderID, $0.recipientID]) == pair }.count + 1)
            let record = MessageRecord(
                id: Int64(state.messages.count + 1),
                clientMessageID: message.clientMessageID,
                senderID: message.senderID,
                recipientID: message.recipientID,
                seq: seq,
                text: message.text,
                sentAtMs: message.sentAtMs
            )
            state.messages.append(record)
            return CommittedMessage(message: record, duplicate: false)
        }
    }

    func history(
        of user: UserID,
        with peer: UserID,
        beforeSeq: UInt64,
        afterSeq: UInt64?,
        limit: Int
    ) async throws -> [MessageRecord] {
        state.withLock { state in
            let pair = Set([user, peer])
            let page = state.messages.filter {
                Set([$0.senderID, $0.recipientID]) == pair && (beforeSeq == 0 || $0.seq < beforeSeq)
                    && $0.seq > afterSeq ?? 0
            }
            return afterSeq != nil ? Array(page.prefix(limit)) : Array(page.reversed().prefix(limit))
        }
    }

    func directSeqSum(of user: UserID) async throws -> UInt64 {
        // Seqs count each pair's messages from 1, so the last seqs sum to the user's messages.
        state.withLock { state in UInt64(state.messages.filter { $0.senderID == user || $0.recipientID == user }.count)
        }
    }

    func updates(of user: UserID, after: UInt64, limit: Int) async throws -> [UpdateRecord] {
        state.withLock { state in Array(state.updates[user, default: []].filter { $0.updateID > after }.prefix(limit)) }
    }

    func latestUpdateID(of user: UserID) async throws -> UInt64 {
        state.withLock { $0.updates[user]?.last?.updateID ?? 0 }
    }

    func markRead(user: UserID, peer: UserID, seq: UInt64) async throws -> UpdateRecord? {
        state.withLock { state in
            let key = "\(user)>\(peer)"
            guard seq > state.readMarks[key, default: 0] else { return nil }
            state.readMarks[key] = seq
            let update = UpdateRecord.read(
                updateID: (state.updates[user]?.last?.updateID ?? 0) + 1,
                peerID: peer,
                seq: seq
            )
            state.updates[user, default: []].append(update)
            return update
        }
    }

    func compactUpdateLogs(keepingLast: Int, rowsPerStatement: Int) async throws -> Int {
        state.withLock { state in
            var deleted = 0
            for (user, log) in state.updates where log.count > keepingLast {
                let drop = log.count - keepingLast
                state.updates[user] = Array(log.dropFirst(drop))
                deleted += drop
            }
            return deleted
        }
    }

    func conversations(of user: UserID, afterPeer: UserID, limit: Int) async throws -> [ConversationRecord] {
        state.withLock { state in
            var byPeer: [UserID: ConversationRecord] = [:]
            for message in state.messages where message.senderID == user || message.recipientID == user {
                let peer = message.senderID == user ? message.recipientID : message.senderID
                byPeer[peer] = ConversationRecord(
                    peerID: peer,
                    lastMessage: message,
                    lastSeq: message.seq,
                    readSeq: state.readMarks["\(user)>\(peer)", default: 0]
                )
            }
            return Array(byPeer.values.filter { $0.peerID > afterPeer }.sorted { $0.peerID < $1.peerID }.prefix(limit))
        }
    }

    // The double covers the one-to-one path the memory-store test drives; recall and mute are
    // exercised on the real stores (SQLite, PostgreSQL).
    func recall(
        seq: UInt64,
        in conversation: ConversationRef,
        by user: UserID,
        nowMs: Int64
    ) async throws
        -> CommittedMessage
    {
        throw ChatError(.unavailable, "The in-memory double does not recall messages.")
    }

    func setMuted(_ muted: Bool, _ conversation: ConversationRef, user: UserID) async throws -> UpdateRecord {
        throw ChatError(.unavailable, "The in-memory double does not mute conversations.")
    }

    func logReadReceipt(reader: UserID, peer: UserID, seq: UInt64) async throws -> UpdateRecord? { nil }
}
