import ChatProtocol
import ChatServices
import Logging
import PostgresNIO

/// The messages of one group-commit transaction on PostgreSQL, in a fixed number of statements
/// whatever the batch's size (arrays bound once, `unnest`ed by the server): a round trip costs
/// more than a row here, so a batch of 200 costs about what a batch of 2 does.
///
/// Gapless numbers with several chat nodes committing at once come from row locks, not from the
/// one writer SQLite has: the batch first locks every user it touches (`FOR NO KEY UPDATE` on
/// their `users` rows, in id order, so two batches can never wait on each other in a circle).
/// A conversation's sequence numbers and a user's update-log numbers only ever change under
/// those locks, so after taking them this transaction reads the last numbers in fresh
/// statements (READ COMMITTED sees everything committed before each statement) and owns them
/// until it commits. A resend racing its original on another node waits on the same locks and
/// then finds the original.
struct PostgresMessageBatch {
    let connection: PostgresConnection
    let logger: Logger

    static let messageColumns =
        "id, client_msg_id, sender_id, recipient_id, seq, text, sent_at_ms, sender_update_id, recipient_update_id"

    typealias MessageRow = (Int64, String, Int64, Int64, Int64, String, Int64, Int64, Int64)

    private struct Pair: Hashable {
        var lo: UserID
        var hi: UserID
        init(_ a: UserID, _ b: UserID) { (lo, hi) = a < b ? (a, b) : (b, a) }
    }

    /// Who sends to whom: friendship and read marks have a row per direction.
    private struct Direction: Hashable {
        var from: UserID
        var to: UserID
    }

    private struct ClientKey: Hashable {
        var sender: UserID
        var clientID: String
    }

    /// Writes the batch; one result per message, in order. Throws only when the transaction as
    /// a whole fails (the caller retries or splits it).
    func write(_ batch: [NewMessage]) async throws -> [Result<CommittedMessage, any Error>] {
        let users = Array(Set(batch.flatMap { [$0.senderID, $0.recipientID] })).sorted()
        try await connection.query(
            "SELECT id FROM users WHERE id = ANY(\(users)) ORDER BY id FOR NO KEY UPDATE",
            logger: logger
        )

        var lastUpdateIDs: [UserID: Int64] = [:]
        for try await (user, last) in try await connection.query(
            "SELECT user_id, max(update_id) FROM updates WHERE user_id = ANY(\(users)) GROUP BY user_id",
            logger: logger
        ).decode((Int64, Int64).self) {
            lastUpdateIDs[user] = last
        }

        var originals: [ClientKey: CommittedMessage] = [:]
        for try await row in try await connection.query(
            """
            SELECT \(unescaped: Self.messageColumns) FROM messages
            WHERE (sender_id, client_msg_id) IN (
                SELECT * FROM unnest(\(batch.map(\.senderID))::bigint[], \(batch.map(\.clientMessageID))::text[]))
            """,
            logger: logger
        ).decode(MessageRow.self) {
            let original = Self.committed(row, duplicate: true)
            originals[ClientKey(sender: original.message.senderID, clientID: original.message.clientMessageID)] =
                original
        }

        let refusals = try await refusals(for: batch)
        var lastSeqs = try await lastSeqs(of: Set(batch.map { Pair($0.senderID, $0.recipientID) }))

        // Numbers, in batch order; what is new goes into one insert.
        enum Plan {
            case done(Result<CommittedMessage, any Error>)
            case insert(index: Int)
            case sameAsEarlier(ClientKey)
        }
        var plans: [Plan] = []
        var inserts: [(message: NewMessage, pair: Pair, seq: Int64, senderUpdate: Int64, recipientUpdate: Int64)] = []
        var planned: Set<ClientKey> = []
        for message in batch {
            let key = ClientKey(sender: message.senderID, clientID: message.clientMessageID)
            if let original = originals[key] {
                plans.append(.done(.success(original)))
                continue
            }
            if planned.contains(key) {
                plans.append(.sameAsEarlier(key))
                continue
            }
            if let refusal = refusals[Direction(from: message.senderID, to: message.recipientID)] ?? nil {
                plans.append(.done(.failure(refusal)))
                continue
            }
            let pair = Pair(message.senderID, message.recipientID)
            let seq = (lastSeqs[pair] ?? 0) + 1
            lastSeqs[pair] = seq
            let senderUpdate = (lastUpdateIDs[message.senderID] ?? 0) + 1
            lastUpdateIDs[message.senderID] = senderUpdate
            let recipientUpdate: Int64
            if message.recipientID == message.senderID {
                recipientUpdate = senderUpdate
            } else {
                recipientUpdate = (lastUpdateIDs[message.recipientID] ?? 0) + 1
                lastUpdateIDs[message.recipientID] = recipientUpdate
            }
            planned.insert(key)
            plans.append(.insert(index: inserts.count))
            inserts.append((message, pair, seq, senderUpdate, recipientUpdate))
        }

        var ids: [ClientKey: Int64] = [:]
        if !inserts.isEmpty {
            for try await (id, sender, clientID) in try await connection.query(
                """
                INSERT INTO messages(user_lo, user_hi, seq, sender_id, recipient_id, client_msg_id, text, sent_at_ms,
                                     sender_update_id, recipient_update_id)
                SELECT * FROM unnest(\(inserts.map(\.pair.lo))::bigint[], \(inserts.map(\.pair.hi))::bigint[],
                    \(inserts.map(\.seq))::bigint[], \(inserts.map(\.message.senderID))::bigint[],
                    \(inserts.map(\.message.recipientID))::bigint[], \(inserts.map(\.message.clientMessageID))::text[],
                    \(inserts.map(\.message.text))::text[], \(inserts.map(\.message.sentAtMs))::bigint[],
                    \(inserts.map(\.senderUpdate))::bigint[], \(inserts.map(\.recipientUpdate))::bigint[])
                RETURNING id, sender_id, client_msg_id
                """,
                logger: logger
            ).decode((Int64, Int64, String).self) {
                ids[ClientKey(sender: sender, clientID: clientID)] = id
            }
            try await finish(
                inserts: inserts.map { insert in
                    (
                        insert.message, insert.pair, insert.seq, insert.senderUpdate, insert.recipientUpdate,
                        ids[ClientKey(sender: insert.message.senderID, clientID: insert.message.clientMessageID)] ?? 0
                    )
                }
            )
        }

        var results: [Result<CommittedMessage, any Error>] = []
        var byKey: [ClientKey: CommittedMessage] = [:]
        for plan in plans {
            switch plan {
            case .done(let result):
                results.append(result)
            case .insert(let index):
                let insert = inserts[index]
                let key = ClientKey(sender: insert.message.senderID, clientID: insert.message.clientMessageID)
                guard let id = ids[key] else {
                    results.append(.failure(ChatError(.internalError, "A message vanished while it was committed.")))
                    continue
                }
                let committed = CommittedMessage(
                    message: MessageRecord(
                        id: id,
                        clientMessageID: insert.message.clientMessageID,
                        senderID: insert.message.senderID,
                        recipientID: insert.message.recipientID,
                        seq: UInt64(insert.seq),
                        text: insert.message.text,
                        sentAtMs: insert.message.sentAtMs
                    ),
                    senderUpdateID: UInt64(insert.senderUpdate),
                    recipientUpdateID: UInt64(insert.recipientUpdate),
                    duplicate: false
                )
                byKey[key] = committed
                results.append(.success(committed))
            case .sameAsEarlier(let key):
                if var original = byKey[key] {
                    original.duplicate = true
                    results.append(.success(original))
                } else {
                    results.append(.failure(ChatError(.internalError, "A message vanished while it was committed.")))
                }
            }
        }
        return results
    }

    /// The update-log entries, each conversation's last number and message, and each sender's
    /// read mark (sending a message means having read the conversation up to it).
    private func finish(inserts: [(NewMessage, Pair, Int64, Int64, Int64, Int64)]) async throws {
        var logUsers: [Int64] = []
        var logIDs: [Int64] = []
        var logMessages: [Int64] = []
        var conversations: [Pair: (seq: Int64, messageID: Int64)] = [:]
        var readMarks: [Direction: Int64] = [:]
        for (message, pair, seq, senderUpdate, recipientUpdate, id) in inserts {
            logUsers.append(message.senderID)
            logIDs.append(senderUpdate)
            logMessages.append(id)
            if message.recipientID != message.senderID {
                logUsers.append(message.recipientID)
                logIDs.append(recipientUpdate)
                logMessages.append(id)
            }
            if seq > conversations[pair]?.seq ?? 0 { conversations[pair] = (seq, id) }
            let direction = Direction(from: message.senderID, to: message.recipientID)
            readMarks[direction] = max(readMarks[direction] ?? 0, seq)
        }
        try await connection.query(
            """
            INSERT INTO updates(user_id, update_id, message_id)
            SELECT * FROM unnest(\(logUsers)::bigint[], \(logIDs)::bigint[], \(logMessages)::bigint[])
            """,
            logger: logger
        )
        let pairs = Array(conversations)
        try await connection.query(
            """
            INSERT INTO conversations(user_lo, user_hi, last_seq, last_message_id)
            SELECT * FROM unnest(\(pairs.map(\.key.lo))::bigint[], \(pairs.map(\.key.hi))::bigint[],
                \(pairs.map(\.value.seq))::bigint[], \(pairs.map(\.value.messageID))::bigint[])
            ON CONFLICT (user_lo, user_hi) DO UPDATE
                SET last_seq = excluded.last_seq, last_message_id = excluded.last_message_id
            """,
            logger: logger
        )
        let marks = Array(readMarks)
        try await connection.query(
            """
            INSERT INTO read_marks(user_id, peer_id, read_seq)
            SELECT * FROM unnest(\(marks.map(\.key.from))::bigint[], \(marks.map(\.key.to))::bigint[],
                \(marks.map(\.value))::bigint[])
            ON CONFLICT (user_id, peer_id) DO UPDATE SET read_seq = GREATEST(read_marks.read_seq, excluded.read_seq)
            """,
            logger: logger
        )
    }

    /// Per direction: nil when its sender may message its recipient, else why not. Friends, and
    /// neither has blocked the other, read in the commit's own transaction. A note to oneself
    /// needs no friend.
    private func refusals(for batch: [NewMessage]) async throws -> [Direction: ChatError?] {
        let directions = Array(
            Set(batch.filter { $0.senderID != $0.recipientID }.map { Direction(from: $0.senderID, to: $0.recipientID) })
        )
        guard !directions.isEmpty else { return [:] }
        var refusals: [Direction: ChatError?] = [:]
        for try await (sender, recipient, friends, blocked) in try await connection.query(
            """
            SELECT p.s, p.r,
                EXISTS(SELECT 1 FROM friendships f WHERE f.user_id = p.s AND f.friend_id = p.r),
                EXISTS(SELECT 1 FROM blocks b
                       WHERE (b.blocker_id = p.s AND b.blocked_id = p.r) OR (b.blocker_id = p.r AND b.blocked_id = p.s))
            FROM unnest(\(directions.map(\.from))::bigint[], \(directions.map(\.to))::bigint[]) AS p(s, r)
            """,
            logger: logger
        ).decode((Int64, Int64, Bool, Bool).self) {
            let refusal: ChatError? =
                !friends
                ? ChatError(.notFriends, "You can only message your friends.")
                : blocked ? ChatError(.blocked, "This conversation is blocked.") : nil
            refusals[Direction(from: sender, to: recipient)] = .some(refusal)
        }
        return refusals
    }

    private func lastSeqs(of pairs: Set<Pair>) async throws -> [Pair: Int64] {
        let pairs = Array(pairs)
        var seqs: [Pair: Int64] = [:]
        for try await (lo, hi, seq) in try await connection.query(
            """
            SELECT user_lo, user_hi, last_seq FROM conversations
            WHERE (user_lo, user_hi) IN (SELECT * FROM unnest(\(pairs.map(\.lo))::bigint[], \(pairs.map(\.hi))::bigint[]))
            """,
            logger: logger
        ).decode((Int64, Int64, Int64).self) {
            seqs[Pair(lo, hi)] = seq
        }
        return seqs
    }

    static func committed(_ row: MessageRow, duplicate: Bool) -> CommittedMessage {
        let (id, clientID, sender, recipient, seq, text, sentAt, senderUpdate, recipientUpdate) = row
        return CommittedMessage(
            message: MessageRecord(
                id: id,
                clientMessageID: clientID,
                senderID: sender,
                recipientID: recipient,
                seq: UInt64(seq),
                text: text,
                sentAtMs: sentAt
            ),
            senderUpdateID: UInt64(senderUpdate),
            recipientUpdateID: UInt64(recipientUpdate),
            duplicate: duplicate
        )
    }
}
