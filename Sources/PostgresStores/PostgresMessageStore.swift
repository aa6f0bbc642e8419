import ChatProtocol
import ChatServices
import Logging
import PostgresNIO

/// `MessageStore` on PostgreSQL, for a cluster: every chat node commits here, with the SQLite
/// store's guarantees. Durable before the ack (`synchronous_commit` on, PostgreSQL's default,
/// which `open` does not change); concurrent messages share transactions (group commit, one
/// batch at a time per process); a resend is found and not stored twice; sequence numbers per
/// conversation and update ids per user are gapless even when nodes commit to the same
/// conversation at once (see `PostgresMessageBatch` for how).
public final class PostgresMessageStore: MessageStore {
    let database: PostgresStoreDatabase
    private let committer: AsyncGroupCommitter<NewMessage, CommittedMessage>

    private var logger: Logger { database.logger }

    public init(database: PostgresStoreDatabase, maxBatch: Int = 512) {
        self.database = database
        committer = AsyncGroupCommitter(maxBatch: maxBatch) { batch in
            await Self.write(batch, database: database)
        }
    }

    public func commit(_ message: NewMessage) async throws -> CommittedMessage {
        try await committer.submit(message)
    }

    public func commit(
        _ message: NewMessage,
        then completion: @escaping @Sendable (Result<CommittedMessage, any Error>) -> Void
    ) {
        committer.enqueue(message, completion: completion)
    }

    /// One transaction for the batch. Two batches that lock users in a circle cannot happen (ids
    /// are locked in order), but PostgreSQL may still report a deadlock or serialization failure
    /// in corner cases: the batch is then written again. Any other failure of the batch is
    /// retried one message per transaction, so a bad message fails alone; a database that cannot
    /// be reached fails every message `unavailable`, and the client's outbox sends them again.
    static func write(
        _ batch: [NewMessage],
        database: PostgresStoreDatabase
    ) async -> [Result<CommittedMessage, any Error>] {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await PostgresStoreDatabase.withDeadline(commitDeadline) {
                    try await database.client.withTransaction(logger: database.logger) { connection in
                        try await PostgresMessageBatch(connection: connection, logger: database.logger).write(batch)
                    }
                }
            } catch {
                let state = Self.sqlState(error)
                // No answer, or the server saying it is going away or cannot go on (connection
                // exception 08, insufficient resources 53, shutdown 57 — a crash's backends say
                // "terminating connection" — and system error 58): the store is unavailable, and
                // the message will be sent again; it is not refused.
                if state == nil || ["08", "53", "57", "58"].contains(state.map { String($0.prefix(2)) } ?? "") {
                    database.logger.error(
                        "message commit failed: PostgreSQL unreachable",
                        metadata: ["messages": "\(batch.count)", "error": "\(PostgresStoreDatabase.describe(error))"]
                    )
                    let unavailable = ChatError(
                        .unavailable,
                        "The message store is unavailable. Your message will be sent again.",
                        retryAfterSeconds: 1
                    )
                    return Array(repeating: .failure(unavailable), count: batch.count)
                }
                if state == "40P01" || state == "40001", attempt < 5 {
                    database.logger.notice("message batch retried", metadata: ["sqlstate": "\(state ?? "")"])
                    continue
                }
                guard batch.count > 1 else {
                    database.logger.error(
                        "message refused by PostgreSQL",
                        metadata: ["sqlstate": "\(state ?? "")", "error": "\(PostgresStoreDatabase.describe(error))"]
                    )
                    return [.failure(ChatError(.badRequest, "This message cannot be stored."))]
                }
                var results: [Result<CommittedMessage, any Error>] = []
                for message in batch {
                    results += await write([message], database: database)
                }
                return results
            }
        }
    }

    /// How long a batch may take before its messages are answered `unavailable`. The pool waits
    /// for a connection as long as it is asked to, and a database that went away must not hold
    /// senders for a minute. A batch that did commit just before its deadline is answered
    /// `unavailable` too; its resend then finds the original, so nothing is stored twice.
    static let commitDeadline: Duration = .seconds(5)

    /// The server's SQLSTATE for an error it reported, nil when it never answered (the
    /// connection failed), so the two can be told apart.
    static func sqlState(_ error: any Error) -> String? {
        (PostgresStoreDatabase.unwrapped(error) as? PSQLError)?.serverInfo?[.sqlState]
    }

    public func history(
        of user: UserID,
        with peer: UserID,
        beforeSeq: UInt64,
        afterSeq: UInt64?,
        limit: Int
    ) async throws -> [MessageRecord] {
        // (0, n) is group n's history, not a conversation with anyone.
        guard peer > 0 else { return [] }
        let (lo, hi) = user < peer ? (user, peer) : (peer, user)
        let before = beforeSeq == 0 ? Int64.max : Int64(clamping: beforeSeq)
        if let afterSeq {
            return try await Self.messages(
                database.query(
                    """
                    SELECT \(unescaped: PostgresMessageRow.columns) FROM messages m
                    WHERE m.user_lo = \(lo) AND m.user_hi = \(hi) AND m.seq > \(Int64(clamping: afterSeq))
                      AND m.seq < \(before)
                    ORDER BY m.seq LIMIT \(limit)
                    """
                )
            )
        }
        return try await Self.messages(
            database.query(
                """
                SELECT \(unescaped: PostgresMessageRow.columns) FROM messages m
                WHERE m.user_lo = \(lo) AND m.user_hi = \(hi) AND m.seq < \(before) ORDER BY m.seq DESC LIMIT \(limit)
                """
            )
        )
    }

    public func directSeqSum(of user: UserID) async throws -> UInt64 {
        // Both halves by index (the primary key, and `conversations_by_hi`); summed here,
        // wrapping, as the client sums its positions.
        let rows = try await database.query(
            """
            SELECT last_seq FROM conversations WHERE user_lo = \(user)
            UNION ALL SELECT last_seq FROM conversations WHERE user_hi = \(user) AND user_lo NOT IN (0, \(user))
            """
        )
        var sum: UInt64 = 0
        for try await seq in rows.decode(Int64.self) { sum &+= UInt64(max(seq, 0)) }
        return sum
    }

    /// The messages of rows that selected `PostgresMessageRow.columns`.
    static func messages(_ rows: PostgresRowSequence) async throws -> [MessageRecord] {
        var messages: [MessageRecord] = []
        for try await row in rows {
            if let message = try PostgresMessageRow.message(row.makeRandomAccess()) { messages.append(message) }
        }
        return messages
    }

    public func updates(of user: UserID, after: UInt64, limit: Int) async throws -> [UpdateRecord] {
        let rows = try await database.query(
            """
            SELECT u.update_id, u.kind AS update_kind, u.read_peer_id, u.read_seq, u.group_id AS update_group_id,
                   u.muted AS update_muted, \(unescaped: PostgresMessageRow.columns)
            FROM updates u LEFT JOIN messages m ON m.id = u.message_id
            WHERE u.user_id = \(user) AND u.update_id > \(Int64(clamping: after)) ORDER BY u.update_id LIMIT \(limit)
            """
        )
        var updates: [UpdateRecord] = []
        for try await row in rows {
            if let update = try PostgresUpdateLog.update(row.makeRandomAccess()) { updates.append(update) }
        }
        return updates
    }

    public func latestUpdateID(of user: UserID) async throws -> UInt64 {
        let rows = try await database.query(
            "SELECT coalesce(max(update_id), 0) FROM updates WHERE user_id = \(user)"
        )
        for try await last in rows.decode(Int64.self) { return UInt64(last) }
        return 0
    }

    public func markRead(user: UserID, peer: UserID, seq: UInt64) async throws -> UpdateRecord? {
        // (0, n) is group n's history: its read positions are `PostgresGroupStore.markRead`'s.
        guard peer > 0 else { return nil }
        let (lo, hi) = user < peer ? (user, peer) : (peer, user)
        return try await database.withTransaction { [logger] connection in
            // The user's update log only grows under this lock (as in a message batch).
            try await connection.query("SELECT id FROM users WHERE id = \(user) FOR NO KEY UPDATE", logger: logger)
            let rows = try await connection.query(
                """
                SELECT (SELECT last_seq FROM conversations WHERE user_lo = \(lo) AND user_hi = \(hi)),
                       (SELECT read_seq FROM read_marks WHERE user_id = \(user) AND peer_id = \(peer)),
                       (SELECT coalesce(max(update_id), 0) FROM updates WHERE user_id = \(user))
                """,
                logger: logger
            )
            var found: (Int64?, Int64?, Int64)?
            for try await row in rows.decode((Int64?, Int64?, Int64).self) { found = row }
            guard let (lastSeq, current, lastUpdate) = found else { return nil }
            // Never past the end of the conversation, never backwards.
            let target = min(Int64(clamping: seq), lastSeq ?? 0)
            guard target > current ?? 0 else { return nil }
            try await connection.query(
                """
                INSERT INTO read_marks(user_id, peer_id, read_seq) VALUES (\(user), \(peer), \(target))
                ON CONFLICT (user_id, peer_id) DO UPDATE SET read_seq = excluded.read_seq
                """,
                logger: logger
            )
            let updateID = lastUpdate + 1
            try await connection.query(
                """
                INSERT INTO updates(user_id, update_id, read_peer_id, read_seq)
                VALUES (\(user), \(updateID), \(peer), \(target))
                """,
                logger: logger
            )
            return .read(updateID: UInt64(updateID), peerID: peer, seq: UInt64(target))
        }
    }

    public func conversations(of user: UserID, afterPeer: UserID, limit: Int) async throws -> [ConversationRecord] {
        // Groups (user_lo 0) are listed by `PostgresGroupStore.groups(of:)`. A read receipt is
        // shown only when both people send them.
        let rows = try await database.query(
            """
            SELECT them.id AS peer_id, c.last_seq, COALESCE(r.read_seq, 0) AS my_read_seq,
                   COALESCE(r.muted, false) AS my_muted,
                   CASE WHEN me.sends_read_receipts AND them.sends_read_receipts
                             AND NOT EXISTS(SELECT 1 FROM blocks b WHERE (b.blocker_id = me.id AND b.blocked_id = them.id)
                                                                      OR (b.blocker_id = them.id AND b.blocked_id = me.id))
                        THEN COALESCE(pr.read_seq, 0) ELSE 0 END AS peer_read_seq,
                   \(unescaped: PostgresMessageRow.columns)
            FROM conversations c
            JOIN messages m ON m.id = c.last_message_id
            JOIN users me ON me.id = \(user)
            JOIN users them ON them.id = (CASE WHEN c.user_lo = \(user) THEN c.user_hi ELSE c.user_lo END)
            LEFT JOIN read_marks r ON r.user_id = \(user) AND r.peer_id = them.id
            LEFT JOIN read_marks pr ON pr.user_id = them.id AND pr.peer_id = \(user)
            WHERE (c.user_lo = \(user) OR c.user_hi = \(user)) AND c.user_lo <> 0
              AND (CASE WHEN c.user_lo = \(user) THEN c.user_hi ELSE c.user_lo END) > \(afterPeer)
            ORDER BY peer_id LIMIT \(Int64(limit))
            """
        )
        var conversations: [ConversationRecord] = []
        for try await row in rows {
            let row = row.makeRandomAccess()
            var conversation = ConversationRecord(
                peerID: try row["peer_id"].decode(Int64.self),
                lastMessage: try PostgresMessageRow.message(row),
                lastSeq: UInt64(try row["last_seq"].decode(Int64.self)),
                readSeq: UInt64(try row["my_read_seq"].decode(Int64.self))
            )
            conversation.muted = try row["my_muted"].decode(Bool.self)
            conversation.peerReadSeq = UInt64(try row["peer_read_seq"].decode(Int64.self))
            conversations.append(conversation)
        }
        return conversations
    }

    public func compactUpdateLogs(keepingLast: Int, rowsPerStatement: Int) async throws -> Int {
        precondition(keepingLast >= 1 && rowsPerStatement >= 1)
        // As in SQLiteMessageStore: found first, then deleted a user at a time in short statements.
        let rows = try await database.query(
            """
            SELECT user_id, min(update_id), max(update_id) FROM updates
            GROUP BY user_id HAVING count(*) > \(Int64(keepingLast))
            """
        )
        var long: [(user: Int64, first: Int64, last: Int64)] = []
        for try await (user, first, last) in rows.decode((Int64, Int64, Int64).self) {
            long.append((user, first, last))
        }
        var deleted = 0
        for log in long {
            var from = log.first
            let end = log.last - Int64(keepingLast)
            while from <= end {
                let through = min(end, from + Int64(rowsPerStatement) - 1)
                let gone = try await database.query(
                    "DELETE FROM updates WHERE user_id = \(log.user) AND update_id <= \(through) RETURNING 1"
                )
                for try await _ in gone { deleted += 1 }
                from = through + 1
            }
        }
        return deleted
    }
}
