import ChatProtocol
import ChatServices
import PostgresNIO

extension PostgresMessageBatch {
    /// A line the server writes into a conversation (a group's system line, a recall), numbered
    /// after its last; like a message, it is pushed, not logged. The caller holds the locks that
    /// own the conversation's seq (both users' rows, or the group's).
    func appendLine(
        to pair: Pair,
        from sender: UserID,
        kind: MessageKind,
        clientID: (_ seq: Int64) -> String,
        text: String = "",
        nowMs: Int64,
        recalledSeq: UInt64 = 0,
        change: GroupChange? = nil
    ) async throws -> MessageRecord {
        var last: Int64 = 0
        for try await seq in try await connection.query(
            "SELECT last_seq FROM conversations WHERE user_lo = \(pair.lo) AND user_hi = \(pair.hi)",
            logger: logger
        ).decode(Int64.self) {
            last = seq
        }
        let seq = last + 1
        let recipient = pair.lo == 0 ? 0 : (pair.lo == sender ? pair.hi : pair.lo)
        let clientMessageID = clientID(seq)
        let kindValue = Int64(kind.rawValue)
        let recalled = Int64(clamping: recalledSeq)
        let changeKind = Int64(change?.kind.rawValue ?? 0)
        let changeUsers = PostgresMessageRow.text(change?.userIDs ?? [])
        let changeValue = change?.value ?? ""
        var inserted: Int64?
        for try await id in try await connection.query(
            """
            INSERT INTO messages(user_lo, user_hi, seq, sender_id, recipient_id, client_msg_id, text, sent_at_ms,
                                 kind, recalled_seq, change_kind, change_user_ids, change_value)
            VALUES (\(pair.lo), \(pair.hi), \(seq), \(sender), \(recipient), \(clientMessageID), \(text), \(nowMs),
                    \(kindValue), \(recalled), \(changeKind), \(changeUsers), \(changeValue))
            RETURNING id
            """,
            logger: logger
        ).decode(Int64.self) {
            inserted = id
        }
        guard let id = inserted else { throw ChatError(.internalError, "A line vanished while it was committed.") }
        try await connection.query(
            """
            INSERT INTO conversations(user_lo, user_hi, last_seq, last_message_id)
            VALUES (\(pair.lo), \(pair.hi), \(seq), \(id))
            ON CONFLICT (user_lo, user_hi) DO UPDATE
                SET last_seq = excluded.last_seq, last_message_id = excluded.last_message_id
            """,
            logger: logger
        )
        var record = MessageRecord(
            id: id,
            clientMessageID: clientMessageID,
            senderID: sender,
            recipientID: recipient,
            seq: UInt64(seq),
            text: text,
            sentAtMs: nowMs
        )
        record.groupID = pair.lo == 0 ? pair.hi : 0
        record.kind = kind
        record.recalledSeq = recalledSeq
        record.change = change
        return record
    }
}
