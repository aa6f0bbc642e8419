import ChatProtocol
import GRDB

public final class SQLiteMessageStore: MessageStore {
    let database: SQLiteDatabase
    private let committer: GroupCommitter<NewMessage, CommittedMessage>

    public init(database: SQLiteDatabase) {
        self.database = database
        let pool = database.pool
        self.committer = GroupCommitter(label: "wechat.message-commit") { batch in
            try pool.write { db in
                // Optimistically the whole batch at once. Should any message fail, that attempt is
                // rolled back and the batch is written again with a savepoint per message, so the
                // bad one fails alone and the rest go on. (Savepoints per message on every batch
                // cost a fifth of the commit path.)
                var committed: [CommittedMessage] = []
                do {
                    try db.inSavepoint {
                        committed = try batch.map { try Self.commit($0, in: db) }
                        return .commit
                    }
                    return committed.map { .success($0) }
                } catch {
                    return batch.map { message in
                        Result {
                            var one: CommittedMessage?
                            try db.inSavepoint {
                                one = try Self.commit(message, in: db)
                                return .commit
                            }
                            return one!
                        }
                    }
                }
            }
        }
    }

    public func commit(_ message: NewMessage) async throws -> CommittedMessage {
        try await committer.submit(message)
    }

    public func commit(_ message: NewMessage, then completion: @escaping @Sendable (Result<CommittedMessage, Error>) -> Void) {
        committer.enqueue(message, completion: completion)
    }

    static func commit(_ message: NewMessage, in db: Database) throws -> CommittedMessage {
        // Cached statements: this runs for every message, and compiling its eight statements anew
        // each time cost more than executing them (see README, Performance).
        if let original = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM messages WHERE sender_id = ? AND client_msg_id = ?"),
            arguments: [message.senderID, message.clientMessageID]
        ) {
            return CommittedMessage(message: Self.message(original),
                                    senderUpdateID: UInt64(original["sender_update_id"] as Int64),
                                    recipientUpdateID: UInt64(original["recipient_update_id"] as Int64), duplicate: true)
        }
        let (lo, hi) = ordered(message.senderID, message.recipientID)
        let seq = (try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT last_seq FROM conversations WHERE user_lo = ? AND user_hi = ?"), arguments: [lo, hi]) ?? 0) + 1
        let senderUpdate = try nextUpdateID(db, user: message.senderID)
        let recipientUpdate = message.recipientID == message.senderID
            ? senderUpdate : try nextUpdateID(db, user: message.recipientID)
        try db.cachedStatement(
            sql: """
                INSERT INTO messages(user_lo, user_hi, seq, sender_id, recipient_id, client_msg_id, text, sent_at_ms,
                                     sender_update_id, recipient_update_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(
            arguments: [lo, hi, seq, message.senderID, message.recipientID, message.clientMessageID, message.text,
                        message.sentAtMs, Int64(senderUpdate), Int64(recipientUpdate)])
        let id = db.lastInsertedRowID
        try db.cachedStatement(
            sql: """
                INSERT INTO conversations(user_lo, user_hi, last_seq, last_message_id) VALUES (?, ?, ?, ?)
                ON CONFLICT(user_lo, user_hi) DO UPDATE SET last_seq = excluded.last_seq, last_message_id = excluded.last_message_id
                """).execute(arguments: [lo, hi, seq, id])
        // Sending a message means having read the conversation up to it.
        try db.cachedStatement(
            sql: """
                INSERT INTO read_marks(user_id, peer_id, read_seq) VALUES (?, ?, ?)
                ON CONFLICT(user_id, peer_id) DO UPDATE SET read_seq = max(read_seq, excluded.read_seq)
                """).execute(arguments: [message.senderID, message.recipientID, seq])
        try insertUpdate(db, user: message.senderID, updateID: senderUpdate, messageID: id)
        if message.recipientID != message.senderID {
            try insertUpdate(db, user: message.recipientID, updateID: recipientUpdate, messageID: id)
        }
        let record = MessageRecord(id: id, clientMessageID: message.clientMessageID, senderID: message.senderID,
                                   recipientID: message.recipientID, seq: UInt64(seq), text: message.text,
                                   sentAtMs: message.sentAtMs)
        return CommittedMessage(message: record, senderUpdateID: senderUpdate, recipientUpdateID: recipientUpdate, duplicate: false)
    }

    /// Takes the next number of a user's update log: gapless, from 1.
    static func nextUpdateID(_ db: Database, user: UserID) throws -> UInt64 {
        guard let next = try Int64.fetchOne(
            db.cachedStatement(sql: "UPDATE users SET last_update_id = last_update_id + 1 WHERE id = ? RETURNING last_update_id"),
            arguments: [user])
        else { throw ChatError(.notFound, "No such user.") }
        return UInt64(next)
    }

    static func insertUpdate(_ db: Database, user: UserID, updateID: UInt64, messageID: Int64? = nil,
                             readPeer: UserID? = nil, readSeq: UInt64? = nil) throws {
        try db.cachedStatement(sql: "INSERT INTO updates(user_id, update_id, message_id, read_peer_id, read_seq) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [user, Int64(updateID), messageID, readPeer, readSeq.map { Int64($0) }])
    }

    public func history(of user: UserID, with peer: UserID, beforeSeq: UInt64, limit: Int) async throws -> [MessageRecord] {
        let (lo, hi) = Self.ordered(user, peer)
        let before = beforeSeq == 0 ? Int64.max : Int64(clamping: beforeSeq)
        return try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM messages WHERE user_lo = ? AND user_hi = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                arguments: [lo, hi, before, limit]
            ).map(Self.message)
        }
    }

    public func updates(of user: UserID, after: UInt64, limit: Int) async throws -> [UpdateRecord] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT u.update_id, u.read_peer_id, u.read_seq, m.*
                    FROM updates u LEFT JOIN messages m ON m.id = u.message_id
                    WHERE u.user_id = ? AND u.update_id > ? ORDER BY u.update_id LIMIT ?
                    """,
                arguments: [user, Int64(clamping: after), limit]
            ).map { row in
                let updateID = UInt64(row["update_id"] as Int64)
                if let peer = row["read_peer_id"] as Int64? {
                    return .read(updateID: updateID, peerID: peer, seq: UInt64(row["read_seq"] as Int64))
                }
                return .message(updateID: updateID, Self.message(row))
            }
        }
    }

    public func latestUpdateID(of user: UserID) async throws -> UInt64 {
        try await database.pool.read { db in
            UInt64(try Int64.fetchOne(db, sql: "SELECT last_update_id FROM users WHERE id = ?", arguments: [user]) ?? 0)
        }
    }

    public func markRead(user: UserID, peer: UserID, seq: UInt64) async throws -> UpdateRecord? {
        let (lo, hi) = Self.ordered(user, peer)
        return try await database.pool.write { db in
            // Never past the end of the conversation, never backwards.
            let lastSeq = try Int64.fetchOne(
                db, sql: "SELECT last_seq FROM conversations WHERE user_lo = ? AND user_hi = ?", arguments: [lo, hi]) ?? 0
            let target = min(Int64(clamping: seq), lastSeq)
            let current = try Int64.fetchOne(
                db, sql: "SELECT read_seq FROM read_marks WHERE user_id = ? AND peer_id = ?", arguments: [user, peer]) ?? 0
            guard target > current else { return nil }
            try db.execute(
                sql: """
                    INSERT INTO read_marks(user_id, peer_id, read_seq) VALUES (?, ?, ?)
                    ON CONFLICT(user_id, peer_id) DO UPDATE SET read_seq = excluded.read_seq
                    """,
                arguments: [user, peer, target])
            let updateID = try Self.nextUpdateID(db, user: user)
            try Self.insertUpdate(db, user: user, updateID: updateID, readPeer: peer, readSeq: UInt64(target))
            return .read(updateID: updateID, peerID: peer, seq: UInt64(target))
        }
    }

    public func conversations(of user: UserID) async throws -> [ConversationRecord] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT CASE WHEN c.user_lo = ?1 THEN c.user_hi ELSE c.user_lo END AS peer_id,
                           c.last_seq, COALESCE(r.read_seq, 0) AS my_read_seq, m.*
                    FROM conversations c
                    JOIN messages m ON m.id = c.last_message_id
                    LEFT JOIN read_marks r ON r.user_id = ?1
                         AND r.peer_id = (CASE WHEN c.user_lo = ?1 THEN c.user_hi ELSE c.user_lo END)
                    WHERE c.user_lo = ?1 OR c.user_hi = ?1
                    ORDER BY m.sent_at_ms DESC
                    """,
                arguments: [user]
            ).map { row in
                ConversationRecord(peerID: row["peer_id"], lastMessage: Self.message(row),
                                   lastSeq: UInt64(row["last_seq"] as Int64), readSeq: UInt64(row["my_read_seq"] as Int64))
            }
        }
    }

    static func ordered(_ a: UserID, _ b: UserID) -> (UserID, UserID) {
        a < b ? (a, b) : (b, a)
    }

    static func message(_ row: Row) -> MessageRecord {
        MessageRecord(id: row["id"], clientMessageID: row["client_msg_id"], senderID: row["sender_id"],
                      recipientID: row["recipient_id"], seq: UInt64(row["seq"] as Int64), text: row["text"],
                      sentAtMs: row["sent_at_ms"])
    }
}
