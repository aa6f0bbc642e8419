import ChatProtocol
import GRDB

/// The messages of one group-commit transaction, written with as few statements as they allow.
///
/// Each message costs its own duplicate check and three inserts (the message and its two update-
/// log entries). What many messages of a batch share is read once and written once at the end
/// (`finish`): each conversation's last sequence number and last message, each user's update-log
/// counter, each sender's read mark, each pair's friendship. Under load a batch holds several
/// messages per conversation, so this halves the statements per message (see README,
/// Performance). A batch that is rolled back must be thrown away with its memo.
struct MessageCommitBatch {
    private struct Pair: Hashable {
        var lo: UserID
        var hi: UserID
    }

    private struct Direction: Hashable {
        var from: UserID
        var to: UserID
    }

    /// Per conversation: its last sequence number, and the message that took it (nil until this
    /// batch adds one).
    private var conversations: [Pair: (seq: Int64, messageID: Int64?)] = [:]
    /// Per user: the last update-log number taken, and whether this batch took one.
    private var updateCounters: [UserID: (last: Int64, changed: Bool)] = [:]
    /// Sending a message means having read the conversation up to it.
    private var readMarks: [Direction: Int64] = [:]
    /// Whether a sender may message a recipient (nil) or why not.
    private var refusals: [Direction: ChatError?] = [:]

    /// Commits one message (or finds the original of a resend); throws `Refused`, having written
    /// nothing, when sender and recipient are not friends or either has blocked the other.
    mutating func commit(_ message: NewMessage, in db: Database) throws -> CommittedMessage {
        // Cached statements: this runs for every message, and compiling them anew each time cost
        // more than executing them.
        if let original = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?"),
            arguments: [message.senderID, message.clientMessageID]
        ) {
            return CommittedMessage(message: SQLiteMessageStore.message(original),
                                    senderUpdateID: UInt64(original["sender_update_id"] as Int64),
                                    recipientUpdateID: UInt64(original["recipient_update_id"] as Int64), duplicate: true)
        }
        if let refusal = try refusal(from: message.senderID, to: message.recipientID, in: db) {
            throw SQLiteMessageStore.Refused(error: refusal)
        }
        let pair = message.senderID < message.recipientID
            ? Pair(lo: message.senderID, hi: message.recipientID) : Pair(lo: message.recipientID, hi: message.senderID)
        let seq = try lastSeq(of: pair, in: db) + 1
        let senderUpdate = try nextUpdateID(of: message.senderID, in: db)
        let recipientUpdate = message.recipientID == message.senderID
            ? senderUpdate : try nextUpdateID(of: message.recipientID, in: db)
        try db.cachedStatement(
            sql: """
                INSERT INTO messages(user_lo, user_hi, seq, sender_id, recipient_id, client_msg_id, text, sent_at_ms,
                                     sender_update_id, recipient_update_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(
            arguments: [pair.lo, pair.hi, seq, message.senderID, message.recipientID, message.clientMessageID, message.text,
                        message.sentAtMs, senderUpdate, recipientUpdate])
        let id = db.lastInsertedRowID
        conversations[pair] = (seq, id)
        readMarks[Direction(from: message.senderID, to: message.recipientID)] = seq
        try SQLiteMessageStore.insertUpdate(db, user: message.senderID, updateID: UInt64(senderUpdate), messageID: id)
        if message.recipientID != message.senderID {
            try SQLiteMessageStore.insertUpdate(db, user: message.recipientID, updateID: UInt64(recipientUpdate), messageID: id)
        }
        let record = MessageRecord(id: id, clientMessageID: message.clientMessageID, senderID: message.senderID,
                                   recipientID: message.recipientID, seq: UInt64(seq), text: message.text,
                                   sentAtMs: message.sentAtMs)
        return CommittedMessage(message: record, senderUpdateID: UInt64(senderUpdate),
                                recipientUpdateID: UInt64(recipientUpdate), duplicate: false)
    }

    /// Writes what the batch's messages share; call once, last, in the same transaction.
    func finish(in db: Database) throws {
        for (pair, conversation) in conversations {
            guard let messageID = conversation.messageID else { continue }
            try db.cachedStatement(
                sql: """
                    INSERT INTO conversations(user_lo, user_hi, last_seq, last_message_id) VALUES (?, ?, ?, ?)
                    ON CONFLICT(user_lo, user_hi) DO UPDATE SET last_seq = excluded.last_seq, last_message_id = excluded.last_message_id
                    """).execute(arguments: [pair.lo, pair.hi, conversation.seq, messageID])
        }
        for (user, counter) in updateCounters where counter.changed {
            try db.cachedStatement(sql: "UPDATE users SET last_update_id = ? WHERE id = ?").execute(arguments: [counter.last, user])
        }
        for (direction, seq) in readMarks {
            try db.cachedStatement(
                sql: """
                    INSERT INTO read_marks(user_id, peer_id, read_seq) VALUES (?, ?, ?)
                    ON CONFLICT(user_id, peer_id) DO UPDATE SET read_seq = max(read_seq, excluded.read_seq)
                    """).execute(arguments: [direction.from, direction.to, seq])
        }
    }

    /// Friends, and neither has blocked the other: checked in the commit's own transaction, so a
    /// message cannot slip past a removal or block committed a moment earlier, and the connection
    /// that sends it never waits on a read of its own.
    private mutating func refusal(from sender: UserID, to recipient: UserID, in db: Database) throws -> ChatError? {
        // A note to oneself needs no friend.
        if sender == recipient { return nil }
        let direction = Direction(from: sender, to: recipient)
        if let known = refusals[direction] { return known }
        let row = try Row.fetchOne(
            db.cachedStatement(sql: """
                SELECT EXISTS(SELECT 1 FROM friendships WHERE user_id = ?1 AND friend_id = ?2),
                       EXISTS(SELECT 1 FROM blocks WHERE (blocker_id = ?1 AND blocked_id = ?2) OR (blocker_id = ?2 AND blocked_id = ?1))
                """),
            arguments: [sender, recipient])
        let refusal: ChatError? = if let row, row[0] as Bool {
            row[1] as Bool ? ChatError(.blocked, "This conversation is blocked.") : nil
        } else {
            ChatError(.notFriends, "You can only message your friends.")
        }
        refusals[direction] = refusal
        return refusal
    }

    private mutating func lastSeq(of pair: Pair, in db: Database) throws -> Int64 {
        if let known = conversations[pair] { return known.seq }
        let seq = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT last_seq FROM conversations WHERE user_lo = ? AND user_hi = ?"),
            arguments: [pair.lo, pair.hi]) ?? 0
        conversations[pair] = (seq, nil)
        return seq
    }

    /// The next number of a user's update log: gapless, from 1.
    private mutating func nextUpdateID(of user: UserID, in db: Database) throws -> Int64 {
        let last: Int64
        if let known = updateCounters[user] {
            last = known.last
        } else {
            guard let stored = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT last_update_id FROM users WHERE id = ?"), arguments: [user])
            else { throw ChatError(.notFound, "No such user.") }
            last = stored
        }
        updateCounters[user] = (last + 1, true)
        return last + 1
    }
}
