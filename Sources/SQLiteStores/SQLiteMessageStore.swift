import ChatProtocol
import ChatServices
import GRDB

public final class SQLiteMessageStore: MessageStore {
    let database: SQLiteDatabase
    private let committer: GroupCommitter<NewMessage, CommittedMessage>

    public init(database: SQLiteDatabase) {
        self.database = database
        let pool = database.pool
        self.committer = GroupCommitter(label: "wechat.message-commit") { batch in
            do {
                return try pool.write { db in try Self.write(batch, in: db) }.map {
                    $0.mapError(SQLiteDatabase.forClients)
                }
            } catch {
                throw SQLiteDatabase.forClients(error)
            }
        }
    }

    /// Optimistically the whole batch in one savepoint; a refused message (not friends, blocked)
    /// is refused before it writes anything, so the rest go on without it. Should a message fail
    /// otherwise, that attempt is rolled back and the batch is written again with a savepoint per
    /// message, so the bad one fails alone. (Savepoints per message on every batch cost a fifth
    /// of the commit path.)
    static func write(_ batch: [NewMessage], in db: Database) throws -> [Result<CommittedMessage, Error>] {
        func failedUnexpectedly(_ result: Result<CommittedMessage, Error>) -> Bool {
            if case .failure(let error) = result { !(error is Refused) } else { false }
        }
        var results: [Result<CommittedMessage, Error>] = []
        do {
            try db.inSavepoint {
                var shared = MessageCommitBatch()
                for message in batch {
                    let result = Result { try shared.commit(message, in: db) }
                    // Nothing after an unexpected failure may run in this attempt.
                    if failedUnexpectedly(result) { return .rollback }
                    results.append(result)
                }
                try shared.finish(in: db)
                return .commit
            }
        } catch {
            results = []  // rolled back: nothing of it holds
        }
        if results.count == batch.count, !results.contains(where: failedUnexpectedly) {
            return results.map { $0.mapError { ($0 as? Refused)?.error ?? $0 } }
        }
        return batch.map { message in
            Result {
                var one: CommittedMessage?
                do {
                    try db.inSavepoint {
                        var alone = MessageCommitBatch()
                        one = try alone.commit(message, in: db)
                        try alone.finish(in: db)
                        return .commit
                    }
                } catch let refused as Refused {
                    throw refused.error
                }
                return one!
            }
        }
    }

    /// A message refused before it wrote anything: its batch goes on without it.
    struct Refused: Error {
        var error: ChatError
    }

    public func commit(_ message: NewMessage) async throws -> CommittedMessage {
        try await committer.submit(message)
    }

    public func commit(
        _ message: NewMessage,
        then completion: @escaping @Sendable (Result<CommittedMessage, Error>) -> Void
    ) {
        committer.enqueue(message, completion: completion)
    }

    /// The last number taken in a user's update log: its last entry, found by the log's primary
    /// key (a seek to the end of the user's range, whose page the next entry dirties anyway).
    ///
    /// Derived, not kept in a counter column: a counter on the user's row cost every message two
    /// more page writes (the sender's and the recipient's rows), about one in eight of the pages a
    /// spread-out batch writes (README → Performance), and could drift from the log it counts.
    /// Safe only inside a write transaction, which the one writer serialises. A user with no log,
    /// or no such user, gets 0: callers are signed in, and messages are checked for friendship.
    static func lastUpdateID(of user: UserID, in db: Database) throws -> Int64 {
        try RawStatement(db, "SELECT coalesce(max(update_id), 0) FROM updates WHERE user_id = ?1").int64(.integer(user))
            ?? 0
    }

    /// Takes the next number of a user's update log: gapless, from 1.
    static func nextUpdateID(_ db: Database, user: UserID) throws -> UInt64 {
        UInt64(try lastUpdateID(of: user, in: db) + 1)
    }

    /// Logs a read mark in the user's update log.
    static func insertReadUpdate(_ db: Database, user: UserID, updateID: UInt64, peer: UserID, seq: UInt64) throws {
        try db.cachedStatement(
            sql: "INSERT INTO updates(user_id, update_id, read_peer_id, read_seq) VALUES (?, ?, ?, ?)"
        )
        .execute(arguments: [user, Int64(updateID), peer, Int64(seq)])
    }

    public func history(
        of user: UserID,
        with peer: UserID,
        beforeSeq: UInt64,
        afterSeq: UInt64?,
        limit: Int
    ) async throws -> [MessageRecord] {
        let (lo, hi) = Self.ordered(user, peer)
        let before = beforeSeq == 0 ? Int64.max : Int64(clamping: beforeSeq)
        return try database.read { db in
            if let afterSeq {
                return try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM messages WHERE user_lo = ? AND user_hi = ? AND seq > ? AND seq < ?
                        ORDER BY seq LIMIT ?
                        """,
                    arguments: [lo, hi, Int64(clamping: afterSeq), before, limit]
                ).map(Self.message)
            }
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM messages WHERE user_lo = ? AND user_hi = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                arguments: [lo, hi, before, limit]
            ).map(Self.message)
        }
    }

    public func directSeqSum(of user: UserID) async throws -> UInt64 {
        // Both halves by index (the primary key, and `conversations_by_hi`); summed here,
        // wrapping, where SQLite's sum() would fail on an overflow.
        try database.readSingleStatement { db in
            let seqs = try Int64.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT last_seq FROM conversations WHERE user_lo = ?1
                        UNION ALL SELECT last_seq FROM conversations WHERE user_hi = ?1 AND user_lo NOT IN (0, ?1)
                        """
                ),
                arguments: [user]
            )
            return seqs.reduce(0) { $0 &+ UInt64(max($1, 0)) }
        }
    }

    public func updates(of user: UserID, after: UInt64, limit: Int) async throws -> [UpdateRecord] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT u.update_id, u.read_peer_id, u.read_seq, u.kind AS update_kind,
                           u.group_id AS update_group_id, u.muted AS update_muted, m.*
                    FROM updates u LEFT JOIN messages m ON m.id = u.message_id
                    WHERE u.user_id = ? AND u.update_id > ? ORDER BY u.update_id LIMIT ?
                    """,
                arguments: [user, Int64(clamping: after), limit]
            ).map(Self.update)
        }
    }

    public func latestUpdateID(of user: UserID) async throws -> UInt64 {
        // Read on every Hello: `lastUpdateID(of:in:)`'s query, as one statement without a
        // transaction around it (RawStatement runs only inside one).
        try database.readSingleStatement { db in
            UInt64(
                try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT coalesce(max(update_id), 0) FROM updates WHERE user_id = ?"),
                    arguments: [user]
                ) ?? 0
            )
        }
    }

    public func markRead(user: UserID, peer: UserID, seq: UInt64) async throws -> UpdateRecord? {
        let (lo, hi) = Self.ordered(user, peer)
        return try await database.pool.write { db in
            // Never past the end of the conversation, never backwards.
            let lastSeq =
                try Int64.fetchOne(
                    db,
                    sql: "SELECT last_seq FROM conversations WHERE user_lo = ? AND user_hi = ?",
                    arguments: [lo, hi]
                ) ?? 0
            let target = min(Int64(clamping: seq), lastSeq)
            let current =
                try Int64.fetchOne(
                    db,
                    sql: "SELECT read_seq FROM read_marks WHERE user_id = ? AND peer_id = ?",
                    arguments: [user, peer]
                ) ?? 0
            guard target > current else { return nil }
            try db.execute(
                sql: """
                    INSERT INTO read_marks(user_id, peer_id, read_seq) VALUES (?, ?, ?)
                    ON CONFLICT(user_id, peer_id) DO UPDATE SET read_seq = excluded.read_seq
                    """,
                arguments: [user, peer, target]
            )
            let updateID = try Self.nextUpdateID(db, user: user)
            try Self.insertReadUpdate(db, user: user, updateID: updateID, peer: peer, seq: UInt64(target))
            return .read(updateID: updateID, peerID: peer, seq: UInt64(target))
        }
    }

    public func conversations(of user: UserID, afterPeer: UserID, limit: Int) async throws -> [ConversationRecord] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT CASE WHEN c.user_lo = ?1 THEN c.user_hi ELSE c.user_lo END AS peer_id,
                           c.last_seq, COALESCE(r.read_seq, 0) AS my_read_seq, COALESCE(r.muted, 0) AS my_muted,
                           CASE WHEN me.sends_read_receipts AND them.sends_read_receipts
                                     AND NOT EXISTS(SELECT 1 FROM blocks b
                                                    WHERE (b.blocker_id = me.id AND b.blocked_id = them.id)
                                                       OR (b.blocker_id = them.id AND b.blocked_id = me.id))
                                THEN COALESCE(pr.read_seq, 0) ELSE 0 END AS peer_read_seq,
                           m.*
                    FROM conversations c
                    JOIN messages m ON m.id = c.last_message_id
                    JOIN users me ON me.id = ?1
                    JOIN users them ON them.id = (CASE WHEN c.user_lo = ?1 THEN c.user_hi ELSE c.user_lo END)
                    LEFT JOIN read_marks r ON r.user_id = ?1 AND r.peer_id = them.id
                    LEFT JOIN read_marks pr ON pr.user_id = them.id AND pr.peer_id = ?1
                    WHERE (c.user_lo = ?1 OR c.user_hi = ?1) AND c.user_lo <> 0
                      AND (CASE WHEN c.user_lo = ?1 THEN c.user_hi ELSE c.user_lo END) > ?2
                    ORDER BY peer_id LIMIT ?3
                    """,
                arguments: [user, afterPeer, limit]
            ).map { row in
                var conversation = ConversationRecord(
                    peerID: row["peer_id"],
                    lastMessage: Self.message(row),
                    lastSeq: UInt64(row["last_seq"] as Int64),
                    readSeq: UInt64(row["my_read_seq"] as Int64)
                )
                conversation.muted = row["my_muted"]
                conversation.peerReadSeq = UInt64(row["peer_read_seq"] as Int64)
                return conversation
            }
        }
    }

    public func compactUpdateLogs(keepingLast: Int, rowsPerStatement: Int) async throws -> Int {
        precondition(keepingLast >= 1 && rowsPerStatement >= 1)
        // Found in a read (no writer waits on the scan), then deleted a user at a time in short
        // writes, so messages keep committing between them.
        let long = try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT user_id, min(update_id) AS first, max(update_id) AS last FROM updates
                    GROUP BY user_id HAVING count(*) > ?
                    """,
                arguments: [keepingLast]
            ).map { (user: $0["user_id"] as Int64, first: $0["first"] as Int64, last: $0["last"] as Int64) }
        }
        var deleted = 0
        for log in long {
            // Ids have no gaps, so each chunk is the next `rowsPerStatement` ids.
            var from = log.first
            let end = log.last - Int64(keepingLast)
            while from <= end {
                let through = min(end, from + Int64(rowsPerStatement) - 1)
                deleted += try await database.pool.write { db in
                    try db.execute(
                        sql: "DELETE FROM updates WHERE user_id = ? AND update_id <= ?",
                        arguments: [log.user, through]
                    )
                    return db.changesCount
                }
                from = through + 1
            }
        }
        return deleted
    }

    /// The kinds of `updates` rows besides messages and one's own read marks (kind 0).
    enum UpdateKind: Int {
        case message = 0
        case groupRead = 1
        case peerRead = 2
        case groupChanged = 3
        case muted = 4
    }

    static func update(_ row: Row) -> UpdateRecord {
        let updateID = UInt64(row["update_id"] as Int64)
        let peer = row["read_peer_id"] as Int64?
        let group = row["update_group_id"] as Int64?
        let seq = UInt64((row["read_seq"] as Int64?) ?? 0)
        switch UpdateKind(rawValue: row["update_kind"]) ?? .message {
        case .groupRead: return .groupRead(updateID: updateID, groupID: group ?? 0, seq: seq)
        case .peerRead: return .peerRead(updateID: updateID, peerID: peer ?? 0, seq: seq)
        case .groupChanged: return .groupChanged(updateID: updateID, groupID: group ?? 0)
        case .muted:
            let muted = ((row["update_muted"] as Int64?) ?? 0) != 0
            return .muted(updateID: updateID, group.map { .group($0) } ?? .direct(peer ?? 0), muted)
        case .message:
            if let peer { return .read(updateID: updateID, peerID: peer, seq: seq) }
            return .message(updateID: updateID, Self.message(row))
        }
    }

    /// Logs an update that is not a message in the user's log; returns its id.
    static func logUpdate(
        _ kind: UpdateKind,
        for user: UserID,
        peer: UserID? = nil,
        group: GroupID? = nil,
        seq: UInt64? = nil,
        muted: Bool? = nil,
        in db: Database
    ) throws -> UInt64 {
        let updateID = try nextUpdateID(db, user: user)
        try db.execute(
            sql: """
                INSERT INTO updates(user_id, update_id, kind, read_peer_id, group_id, read_seq, muted)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [user, Int64(updateID), kind.rawValue, peer, group, seq.map { Int64(clamping: $0) }, muted]
        )
        return updateID
    }

    /// Ids as stored in a text column (mentions, a system line's users): "3,17,42".
    static func idList(_ ids: [UserID]) -> String {
        ids.map(String.init).joined(separator: ",")
    }

    static func ids(_ list: String) -> [UserID] {
        list.split(separator: ",").compactMap { Int64($0) }
    }

    static func ordered(_ a: UserID, _ b: UserID) -> (UserID, UserID) {
        a < b ? (a, b) : (b, a)
    }

    static func message(_ row: Row) -> MessageRecord {
        var message = MessageRecord(
            id: row["id"],
            clientMessageID: row["client_msg_id"],
            senderID: row["sender_id"],
            recipientID: row["recipient_id"],
            seq: UInt64(row["seq"] as Int64),
            text: row["text"],
            sentAtMs: row["sent_at_ms"]
        )
        if (row["user_lo"] as Int64) == 0 { message.groupID = row["user_hi"] }
        message.kind = MessageKind(rawValue: row["kind"]) ?? .text
        message.mentions = ids(row["mentions"])
        message.mentionsAll = row["mentions_all"]
        let replySeq = row["reply_to_seq"] as Int64
        if replySeq > 0 {
            message.reply = ReplyReference(
                seq: UInt64(replySeq),
                senderID: row["reply_to_sender_id"],
                excerpt: row["reply_excerpt"]
            )
        }
        message.recalled = row["recalled"]
        message.recalledSeq = UInt64(row["recalled_seq"] as Int64)
        if let kind = GroupChange.Kind(rawValue: row["change_kind"]) {
            message.change = GroupChange(kind: kind, userIDs: ids(row["change_user_ids"]), value: row["change_value"])
        }
        return message
    }
}
