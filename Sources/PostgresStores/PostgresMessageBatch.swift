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
/// A conversation's sequence numbers only ever change under those locks (a pair's under both
/// users' locks), so after taking them this transaction reads the last numbers in fresh
/// statements (READ COMMITTED sees everything committed before each statement) and owns them
/// until it commits. A resend racing its original on another node waits on the same locks and
/// then finds the original.
///
/// A group's history is the conversation (0, group id). Its seq, members and owner only change
/// under its `groups` row's lock, taken after the users' (as `PostgresGroupStore` takes them:
/// users first, then the group), so the membership a group message is checked against holds
/// until it commits. No message writes an update-log entry: devices follow each conversation by
/// its seq (and a group's members by their own row too).
struct PostgresMessageBatch {
    let connection: PostgresConnection
    let logger: Logger

    /// A conversation's key in `messages` and `conversations`: a pair of users (lo < hi), or a
    /// group as (0, group id).
    struct Pair: Hashable {
        var lo: UserID
        var hi: UserID
        init(_ a: UserID, _ b: UserID) { (lo, hi) = a < b ? (a, b) : (b, a) }

        static func group(_ id: GroupID) -> Pair { Pair(0, id) }
    }

    private struct Member: Hashable {
        var group: GroupID
        var user: UserID
    }

    /// A message by its place: the conversation and its seq there.
    private struct Located: Hashable {
        var pair: Pair
        var seq: Int64
    }

    /// What a reply needs of the message it answers.
    private struct Original {
        var sender: UserID
        var text: String
        var kind: Int64
        var recalled: Bool
    }

    private struct Insert {
        var message: NewMessage
        var pair: Pair
        var seq: Int64
        /// Deduplicated and sorted, as SQLite stores them; empty outside a group.
        var mentions: [UserID]
        var reply: ReplyReference?

        var isGroup: Bool { message.groupID != 0 }
        var recipientID: UserID { isGroup ? 0 : message.recipientID }
        var mentionsAll: Bool { isGroup && message.mentionsAll }
    }

    static func conversation(of message: NewMessage) -> Pair {
        message.groupID != 0 ? .group(message.groupID) : Pair(message.senderID, message.recipientID)
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
        let users = Array(Set(batch.flatMap { $0.groupID != 0 ? [$0.senderID] : [$0.senderID, $0.recipientID] }))
            .sorted()
        try await connection.query(
            "SELECT id FROM users WHERE id = ANY(\(users)) ORDER BY id FOR NO KEY UPDATE",
            logger: logger
        )
        let owners = try await lockGroups(of: batch)

        var originals: [ClientKey: CommittedMessage] = [:]
        for try await row in try await connection.query(
            """
            SELECT \(unescaped: PostgresMessageRow.columns) FROM messages m
            WHERE (m.sender_id, m.client_msg_id) IN (
                SELECT * FROM unnest(\(batch.map(\.senderID))::bigint[], \(batch.map(\.clientMessageID))::text[]))
            """,
            logger: logger
        ) {
            guard let original = try PostgresMessageRow.committed(row.makeRandomAccess(), duplicate: true) else {
                continue
            }
            originals[ClientKey(sender: original.message.senderID, clientID: original.message.clientMessageID)] =
                original
        }

        let refusals = try await refusals(for: batch)
        let members = try await memberships(for: batch)
        let originalsRepliedTo = try await repliedTo(batch)
        var lastSeqs = try await lastSeqs(of: Set(batch.map(Self.conversation(of:))))

        // Numbers, in batch order; what is new goes into one insert.
        enum Plan {
            case done(Result<CommittedMessage, any Error>)
            case insert(index: Int)
            case sameAsEarlier(ClientKey)
        }
        var plans: [Plan] = []
        var inserts: [Insert] = []
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
            let pair = Self.conversation(of: message)
            // A reply may quote what the sender can see: a group from where they joined it.
            var visibleFrom: Int64 = 1
            var mentions: [UserID] = []
            if message.groupID != 0 {
                if let refusal = Self.groupRefusal(of: message, members: members, owners: owners) {
                    plans.append(.done(.failure(refusal)))
                    continue
                }
                visibleFrom = members[Member(group: message.groupID, user: message.senderID)] ?? 1
                mentions = Array(Set(message.mentions)).sorted()
            } else if let refusal = refusals[Direction(from: message.senderID, to: message.recipientID)] ?? nil {
                plans.append(.done(.failure(refusal)))
                continue
            }
            var reply: ReplyReference?
            if message.replyToSeq != 0 {
                guard message.replyToSeq <= UInt64(Int64.max), Int64(message.replyToSeq) >= visibleFrom,
                    let original = originalsRepliedTo[Located(pair: pair, seq: Int64(message.replyToSeq))],
                    original.kind != Int64(MessageKind.recall.rawValue)
                else {
                    plans.append(
                        .done(.failure(ChatError(.noSuchMessage, "You can only reply to a message you can see.")))
                    )
                    continue
                }
                reply = ReplyReference(
                    seq: message.replyToSeq,
                    senderID: original.sender,
                    excerpt: original.recalled ? "" : original.text.replyExcerpt()
                )
            }
            let seq = (lastSeqs[pair] ?? 0) + 1
            lastSeqs[pair] = seq
            planned.insert(key)
            plans.append(.insert(index: inserts.count))
            inserts.append(Insert(message: message, pair: pair, seq: seq, mentions: mentions, reply: reply))
        }

        var ids: [ClientKey: Int64] = [:]
        if !inserts.isEmpty {
            let mentions: [String] = inserts.map { PostgresMessageRow.text($0.mentions) }
            let mentionsAll: [Bool] = inserts.map(\.mentionsAll)
            let replySeqs: [Int64] = inserts.map { Int64($0.reply?.seq ?? 0) }
            let replySenders: [Int64] = inserts.map { $0.reply?.senderID ?? 0 }
            let excerpts: [String] = inserts.map { $0.reply?.excerpt ?? "" }
            for try await (id, sender, clientID) in try await connection.query(
                """
                INSERT INTO messages(user_lo, user_hi, seq, sender_id, recipient_id, client_msg_id, text, sent_at_ms,
                                     mentions, mentions_all, reply_to_seq, reply_to_sender_id, reply_excerpt)
                SELECT * FROM unnest(\(inserts.map(\.pair.lo))::bigint[], \(inserts.map(\.pair.hi))::bigint[],
                    \(inserts.map(\.seq))::bigint[], \(inserts.map(\.message.senderID))::bigint[],
                    \(inserts.map(\.recipientID))::bigint[], \(inserts.map(\.message.clientMessageID))::text[],
                    \(inserts.map(\.message.text))::text[], \(inserts.map(\.message.sentAtMs))::bigint[],
                    \(mentions)::text[], \(mentionsAll)::boolean[], \(replySeqs)::bigint[],
                    \(replySenders)::bigint[], \(excerpts)::text[])
                RETURNING id, sender_id, client_msg_id
                """,
                logger: logger
            ).decode((Int64, Int64, String).self) {
                ids[ClientKey(sender: sender, clientID: clientID)] = id
            }
            try await finish(
                inserts.map { insert in
                    (
                        insert: insert,
                        id: ids[ClientKey(sender: insert.message.senderID, clientID: insert.message.clientMessageID)]
                            ?? 0
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
                var record = MessageRecord(
                    id: id,
                    clientMessageID: insert.message.clientMessageID,
                    senderID: insert.message.senderID,
                    recipientID: insert.recipientID,
                    seq: UInt64(insert.seq),
                    text: insert.message.text,
                    sentAtMs: insert.message.sentAtMs
                )
                record.groupID = insert.message.groupID
                record.mentions = insert.mentions
                record.mentionsAll = insert.mentionsAll
                record.reply = insert.reply
                let committed = CommittedMessage(message: record, duplicate: false)
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

    /// Each conversation's last number and message, each sender's read mark or read position in
    /// a group (sending a message means having read the conversation up to it), and the
    /// mentions of group messages.
    private func finish(_ inserts: [(insert: Insert, id: Int64)]) async throws {
        var conversations: [Pair: (seq: Int64, messageID: Int64)] = [:]
        var readMarks: [Direction: Int64] = [:]
        var groupReadMarks: [Member: Int64] = [:]
        var mentionUsers: [Int64] = []
        var mentionGroups: [Int64] = []
        var mentionSeqs: [Int64] = []
        for (insert, id) in inserts {
            let message = insert.message
            if insert.seq > conversations[insert.pair]?.seq ?? 0 { conversations[insert.pair] = (insert.seq, id) }
            if insert.isGroup {
                let member = Member(group: message.groupID, user: message.senderID)
                groupReadMarks[member] = max(groupReadMarks[member] ?? 0, insert.seq)
                for user in insert.mentions {
                    mentionUsers.append(user)
                    mentionGroups.append(message.groupID)
                    mentionSeqs.append(insert.seq)
                }
                continue
            }
            let direction = Direction(from: message.senderID, to: message.recipientID)
            readMarks[direction] = max(readMarks[direction] ?? 0, insert.seq)
        }
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
        if !readMarks.isEmpty {
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
        if !groupReadMarks.isEmpty {
            // One row of `v` per member (merged above): UPDATE … FROM applies only one match.
            let marks = Array(groupReadMarks)
            try await connection.query(
                """
                UPDATE group_members gm SET read_seq = GREATEST(gm.read_seq, v.seq)
                FROM unnest(\(marks.map(\.key.group))::bigint[], \(marks.map(\.key.user))::bigint[],
                    \(marks.map(\.value))::bigint[]) AS v(group_id, user_id, seq)
                WHERE gm.group_id = v.group_id AND gm.user_id = v.user_id
                """,
                logger: logger
            )
        }
        if !mentionUsers.isEmpty {
            try await connection.query(
                """
                INSERT INTO group_mentions(user_id, group_id, seq)
                SELECT * FROM unnest(\(mentionUsers)::bigint[], \(mentionGroups)::bigint[], \(mentionSeqs)::bigint[])
                ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
        }
    }

    /// Takes the lock of each group the batch sends to (after the users', in id order); each
    /// one's owner, read under it.
    private func lockGroups(of batch: [NewMessage]) async throws -> [GroupID: UserID] {
        let groups = Array(Set(batch.map(\.groupID).filter { $0 != 0 })).sorted()
        guard !groups.isEmpty else { return [:] }
        var owners: [GroupID: UserID] = [:]
        for try await (id, owner) in try await connection.query(
            "SELECT id, owner_id FROM groups WHERE id = ANY(\(groups)) ORDER BY id FOR NO KEY UPDATE",
            logger: logger
        ).decode((Int64, Int64).self) {
            owners[id] = owner
        }
        return owners
    }

    /// Per group and user, for the senders of group messages and those they mention: when they
    /// joined, if they are members now. A message naming more people than it may is refused
    /// without looking them up.
    private func memberships(for batch: [NewMessage]) async throws -> [Member: Int64] {
        var wanted: Set<Member> = []
        for message in batch where message.groupID != 0 {
            wanted.insert(Member(group: message.groupID, user: message.senderID))
            let mentioned = Set(message.mentions)
            guard mentioned.count <= ProtocolLimits.maxMentions else { continue }
            for user in mentioned { wanted.insert(Member(group: message.groupID, user: user)) }
        }
        guard !wanted.isEmpty else { return [:] }
        let members = Array(wanted)
        var joined: [Member: Int64] = [:]
        for try await (group, user, joinedSeq) in try await connection.query(
            """
            SELECT group_id, user_id, joined_seq FROM group_members
            WHERE left_seq IS NULL AND (group_id, user_id) IN (
                SELECT * FROM unnest(\(members.map(\.group))::bigint[], \(members.map(\.user))::bigint[]))
            """,
            logger: logger
        ).decode((Int64, Int64, Int64).self) {
            joined[Member(group: group, user: user)] = joinedSeq
        }
        return joined
    }

    /// Why a group message may not be sent, checked as SQLite's `commitToGroup` does, in the
    /// same order; nil when it may.
    private static func groupRefusal(
        of message: NewMessage,
        members: [Member: Int64],
        owners: [GroupID: UserID]
    ) -> ChatError? {
        let group = message.groupID
        guard members[Member(group: group, user: message.senderID)] != nil else {
            return ChatError(.notAMember, "You are not in that group.")
        }
        if message.mentionsAll && owners[group] != message.senderID {
            return ChatError(.notGroupOwner, "Only the group's owner can mention everyone.")
        }
        let mentioned = Set(message.mentions)
        guard mentioned.count <= ProtocolLimits.maxMentions else {
            return ChatError(.badRequest, "A message can mention at most \(ProtocolLimits.maxMentions) people.")
        }
        guard mentioned.allSatisfy({ members[Member(group: group, user: $0)] != nil }) else {
            return ChatError(.notAMember, "You can only mention members of the group.")
        }
        return nil
    }

    /// The messages the batch's replies answer, by conversation and seq (those that exist).
    private func repliedTo(_ batch: [NewMessage]) async throws -> [Located: Original] {
        let wanted = Array(
            Set(
                batch.filter { $0.replyToSeq != 0 && $0.replyToSeq <= UInt64(Int64.max) }.map {
                    Located(pair: Self.conversation(of: $0), seq: Int64($0.replyToSeq))
                }
            )
        )
        guard !wanted.isEmpty else { return [:] }
        var originals: [Located: Original] = [:]
        for try await (lo, hi, seq, sender, text, kind, recalled) in try await connection.query(
            """
            SELECT user_lo, user_hi, seq, sender_id, text, kind, recalled FROM messages
            WHERE (user_lo, user_hi, seq) IN (
                SELECT * FROM unnest(\(wanted.map(\.pair.lo))::bigint[], \(wanted.map(\.pair.hi))::bigint[],
                    \(wanted.map(\.seq))::bigint[]))
            """,
            logger: logger
        ).decode((Int64, Int64, Int64, Int64, String, Int64, Bool).self) {
            originals[Located(pair: Pair(lo, hi), seq: seq)] = Original(
                sender: sender,
                text: text,
                kind: kind,
                recalled: recalled
            )
        }
        return originals
    }

    /// Per direction: nil when its sender may message its recipient, else why not. Friends, and
    /// neither has blocked the other, read in the commit's own transaction. A note to oneself
    /// needs no friend.
    private func refusals(for batch: [NewMessage]) async throws -> [Direction: ChatError?] {
        let directions = Array(
            Set(
                batch.filter { $0.groupID == 0 && $0.senderID != $0.recipientID }.map {
                    Direction(from: $0.senderID, to: $0.recipientID)
                }
            )
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
}
