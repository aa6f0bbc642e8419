import ChatProtocol
import ChatServices
import GRDB

/// The messages of one group-commit transaction, written with as few statements as they allow.
///
/// Each message costs one insert (the message, which also finds a resend by its unique client
/// id): three B-trees (the row, its conversation's seq, its sender's client id). It makes no
/// update-log entries: devices follow a conversation by its seq, so a message is not written
/// once per person (two B-tree inserts fewer, see README, Performance). What many messages of a
/// batch share is read once, and written once at the end (`finish`): each conversation's last
/// sequence number and last message, each sender's read mark; each pair's friendship is only
/// read. Under load a batch holds several messages per conversation, so this
/// halves the statements per message (see README, Performance). A batch that is rolled back must
/// be thrown away with its memo.
struct MessageCommitBatch {
    /// A conversation's key in `messages` and `conversations`: a pair of users (lo < hi), or a
    /// group as (0, group id).
    struct Pair: Hashable {
        var lo: UserID
        var hi: UserID

        static func group(_ id: GroupID) -> Pair { Pair(lo: 0, hi: id) }
        static func users(_ a: UserID, _ b: UserID) -> Pair { a < b ? Pair(lo: a, hi: b) : Pair(lo: b, hi: a) }
    }

    struct Member: Hashable {
        var group: GroupID
        var user: UserID
    }

    private struct Direction: Hashable {
        var from: UserID
        var to: UserID
    }

    /// Per conversation: its last sequence number, and the message that took it (nil until this
    /// batch adds one).
    private var conversations: [Pair: (seq: Int64, messageID: Int64?)] = [:]
    /// Sending a message means having read the conversation up to it.
    private var readMarks: [Direction: Int64] = [:]
    /// Whether a sender may message a recipient (nil) or why not.
    private var refusals: [Direction: ChatError?] = [:]
    /// Per group and sender: their place in it (nil when they are not a member).
    var memberships: [Member: GroupMembership?] = [:]
    /// Per group and sender: the seq their read position moves to (sending is reading).
    var groupReadMarks: [Member: Int64] = [:]

    /// Commits one message (or finds the original of a resend); throws `Refused`, having written
    /// nothing, when sender and recipient are not friends or either has blocked the other.
    mutating func commit(_ message: NewMessage, in db: Database) throws -> CommittedMessage {
        if message.groupID != 0 { return try commitToGroup(message, in: db) }
        // Cached statements, bound directly (RawStatement): this runs for every message.
        if let refusal = try refusal(from: message.senderID, to: message.recipientID, in: db) {
            // A resend of a message committed before the refusal still gets its original.
            if try Self.isCommitted(message, in: db) { return try Self.original(of: message, in: db) }
            throw SQLiteMessageStore.Refused(error: refusal)
        }
        let pair = Pair.users(message.senderID, message.recipientID)
        let seq = try lastSeq(of: pair, in: db) + 1
        let reply = try replyReference(to: message.replyToSeq, in: pair, visibleFrom: 1, through: seq - 1, db)
        // A resend is found by the insert itself (the unique client id), instead of a lookup
        // before every insert; then nothing was written and no seq was taken.
        let inserted = try RawStatement(
            db,
            """
            INSERT INTO messages(user_lo, user_hi, seq, sender_id, recipient_id, client_msg_id, text, sent_at_ms,
                                 reply_to_seq, reply_to_sender_id, reply_excerpt)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
            ON CONFLICT(sender_id, client_msg_id) DO NOTHING
            """
        ).execute(
            .integer(pair.lo),
            .integer(pair.hi),
            .integer(seq),
            .integer(message.senderID),
            .integer(message.recipientID),
            .text(message.clientMessageID),
            .text(message.text),
            .integer(message.sentAtMs),
            .integer(Int64(reply?.seq ?? 0)),
            .integer(reply?.senderID ?? 0),
            .text(reply?.excerpt ?? "")
        )
        guard inserted > 0 else { return try Self.original(of: message, in: db) }
        let id = db.lastInsertedRowID
        noteLast(seq: seq, messageID: id, of: pair)
        readMarks[Direction(from: message.senderID, to: message.recipientID)] = seq
        var record = MessageRecord(
            id: id,
            clientMessageID: message.clientMessageID,
            senderID: message.senderID,
            recipientID: message.recipientID,
            seq: UInt64(seq),
            text: message.text,
            sentAtMs: message.sentAtMs
        )
        record.reply = reply
        return CommittedMessage(message: record, duplicate: false)
    }

    /// Writes what the batch's messages share; call once, last, in the same transaction.
    func finish(in db: Database) throws {
        let conversation = try RawStatement(
            db,
            """
            INSERT INTO conversations(user_lo, user_hi, last_seq, last_message_id) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(user_lo, user_hi) DO UPDATE SET last_seq = excluded.last_seq, last_message_id = excluded.last_message_id
            """
        )
        for (pair, last) in conversations {
            guard let messageID = last.messageID else { continue }
            try conversation.execute(.integer(pair.lo), .integer(pair.hi), .integer(last.seq), .integer(messageID))
        }
        let readMark = try RawStatement(
            db,
            """
            INSERT INTO read_marks(user_id, peer_id, read_seq) VALUES (?1, ?2, ?3)
            ON CONFLICT(user_id, peer_id) DO UPDATE SET read_seq = max(read_seq, excluded.read_seq)
            """
        )
        for (direction, seq) in readMarks {
            try readMark.execute(.integer(direction.from), .integer(direction.to), .integer(seq))
        }
        if !groupReadMarks.isEmpty {
            let groupRead = try RawStatement(
                db,
                "UPDATE group_members SET read_seq = max(read_seq, ?3) WHERE group_id = ?1 AND user_id = ?2"
            )
            for (member, seq) in groupReadMarks {
                try groupRead.execute(.integer(member.group), .integer(member.user), .integer(seq))
            }
        }
    }

    /// The message a resend repeats, as first committed.
    static func original(of message: NewMessage, in db: Database) throws -> CommittedMessage {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?"),
                arguments: [message.senderID, message.clientMessageID]
            )
        else { throw ChatError(.internalError, "A message vanished while it was committed.") }
        return CommittedMessage(message: SQLiteMessageStore.message(row), duplicate: true)
    }

    /// Friends, and neither has blocked the other: checked in the commit's own transaction, so a
    /// message cannot slip past a removal or block committed a moment earlier, and the connection
    /// that sends it never waits on a read of its own.
    private mutating func refusal(from sender: UserID, to recipient: UserID, in db: Database) throws -> ChatError? {
        // A note to oneself needs no friend.
        if sender == recipient { return nil }
        let direction = Direction(from: sender, to: recipient)
        if let known = refusals[direction] { return known }
        let found = try RawStatement(
            db,
            """
            SELECT EXISTS(SELECT 1 FROM friendships WHERE user_id = ?1 AND friend_id = ?2),
                   EXISTS(SELECT 1 FROM blocks WHERE (blocker_id = ?1 AND blocked_id = ?2) OR (blocker_id = ?2 AND blocked_id = ?1))
            """
        ).int64s(2, .integer(sender), .integer(recipient))
        let refusal: ChatError? =
            if let found, found[0] != 0 {
                found[1] != 0 ? ChatError(.blocked, "This conversation is blocked.") : nil
            } else {
                ChatError(.notFriends, "You can only message your friends.")
            }
        refusals[direction] = refusal
        return refusal
    }

    mutating func lastSeq(of pair: Pair, in db: Database) throws -> Int64 {
        if let known = conversations[pair] { return known.seq }
        let seq =
            try RawStatement(db, "SELECT last_seq FROM conversations WHERE user_lo = ?1 AND user_hi = ?2")
            .int64(.integer(pair.lo), .integer(pair.hi)) ?? 0
        conversations[pair] = (seq, nil)
        return seq
    }

    mutating func noteLast(seq: Int64, messageID: Int64, of pair: Pair) { conversations[pair] = (seq, messageID) }

    static func isCommitted(_ message: NewMessage, in db: Database) throws -> Bool {
        try RawStatement(db, "SELECT id FROM messages WHERE sender_id = ?1 AND client_msg_id = ?2")
            .int64(.integer(message.senderID), .text(message.clientMessageID)) != nil
    }
}
