import ChatProtocol
import ChatServices
import GRDB

/// A sender's place in a group, as a group message's commit needs it.
struct GroupMembership: Equatable {
    var joinedSeq: Int64
    var isOwner: Bool
}

/// Group messages, replies and the lines the server writes (system lines, recalls).
///
/// A group message costs what a one-to-one message does without its two update-log entries: the
/// message row (which also finds a resend), the group's seq, and the sender's read position.
/// Nobody else's row is touched, however many members the group has; what a member must learn
/// is derived from the group's seq and their own position (`SQLiteGroupStore.groups(of:)`).
extension MessageCommitBatch {
    mutating func commitToGroup(_ message: NewMessage, in db: Database) throws -> CommittedMessage {
        let group = message.groupID
        guard let membership = try membership(of: message.senderID, in: group, db) else {
            if try Self.isCommitted(message, in: db) { return try Self.original(of: message, in: db) }
            throw SQLiteMessageStore.Refused(error: ChatError(.notAMember, "You are not in that group."))
        }
        let pair = Pair.group(group)
        let seq = try lastSeq(of: pair, in: db) + 1
        let reply: ReplyReference?
        do {
            try checkMentions(message, in: group, senderIsOwner: membership.isOwner, db)
            reply = try replyReference(
                to: message.replyToSeq,
                in: pair,
                visibleFrom: membership.joinedSeq,
                through: seq - 1,
                db
            )
        } catch let refused as SQLiteMessageStore.Refused {
            // A resend of a message committed before its mention or quote stopped passing (the
            // one named left since) gets its original, as PostgreSQL's commit answers.
            if try Self.isCommitted(message, in: db) { return try Self.original(of: message, in: db) }
            throw refused
        }
        let mentions = Array(Set(message.mentions)).sorted()
        let inserted = try RawStatement(
            db,
            """
            INSERT INTO messages(user_lo, user_hi, seq, sender_id, recipient_id, client_msg_id, text, sent_at_ms,
                                 mentions, mentions_all, reply_to_seq, reply_to_sender_id, reply_excerpt)
            VALUES (0, ?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
            ON CONFLICT(sender_id, client_msg_id) DO NOTHING
            """
        ).execute(
            .integer(group),
            .integer(seq),
            .integer(message.senderID),
            .text(message.clientMessageID),
            .text(message.text),
            .integer(message.sentAtMs),
            .text(SQLiteMessageStore.idList(mentions)),
            .integer(message.mentionsAll ? 1 : 0),
            .integer(Int64(reply?.seq ?? 0)),
            .integer(reply?.senderID ?? 0),
            .text(reply?.excerpt ?? "")
        )
        guard inserted > 0 else { return try Self.original(of: message, in: db) }
        let id = db.lastInsertedRowID
        noteLast(seq: seq, messageID: id, of: pair)
        groupReadMarks[Member(group: group, user: message.senderID)] = seq
        if !mentions.isEmpty {
            let mention = try RawStatement(
                db,
                "INSERT OR IGNORE INTO group_mentions(user_id, group_id, seq) VALUES (?1, ?2, ?3)"
            )
            for user in mentions {
                try mention.execute(.integer(user), .integer(group), .integer(seq))
            }
        }
        var record = MessageRecord(
            id: id,
            clientMessageID: message.clientMessageID,
            senderID: message.senderID,
            recipientID: 0,
            seq: UInt64(seq),
            text: message.text,
            sentAtMs: message.sentAtMs
        )
        record.groupID = group
        record.mentions = mentions
        record.mentionsAll = message.mentionsAll
        record.reply = reply
        return CommittedMessage(message: record, duplicate: false)
    }

    /// A line the server writes into a conversation (a group's system line, a recall), after its
    /// last message; like a message, it is pushed, not logged.
    mutating func appendLine(
        to pair: Pair,
        from sender: UserID,
        kind: MessageKind,
        clientID: String,
        text: String = "",
        nowMs: Int64,
        recalledSeq: UInt64 = 0,
        change: GroupChange? = nil,
        in db: Database
    ) throws -> MessageRecord {
        let seq = try lastSeq(of: pair, in: db) + 1
        let recipient = pair.lo == 0 ? 0 : (pair.lo == sender ? pair.hi : pair.lo)
        try db.execute(
            sql: """
                INSERT INTO messages(user_lo, user_hi, seq, sender_id, recipient_id, client_msg_id, text, sent_at_ms,
                                     kind, recalled_seq, change_kind, change_user_ids, change_value)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                pair.lo, pair.hi, seq, sender, recipient, clientID, text, nowMs, kind.rawValue, Int64(recalledSeq),
                change?.kind.rawValue ?? 0, SQLiteMessageStore.idList(change?.userIDs ?? []), change?.value ?? "",
            ]
        )
        let id = db.lastInsertedRowID
        noteLast(seq: seq, messageID: id, of: pair)
        var record = MessageRecord(
            id: id,
            clientMessageID: clientID,
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

    /// The message a reply answers, if `seq` is one the sender can see in the conversation
    /// (`visibleFrom...through`); `noSuchMessage` otherwise. Nil for no reply (`seq` 0).
    mutating func replyReference(
        to seq: UInt64,
        in pair: Pair,
        visibleFrom first: Int64,
        through last: Int64,
        _ db: Database
    ) throws -> ReplyReference? {
        guard seq != 0 else { return nil }
        let refused = SQLiteMessageStore.Refused(
            error: ChatError(.noSuchMessage, "You can only reply to a message you can see.")
        )
        guard seq <= UInt64(Int64.max), Int64(seq) >= first, Int64(seq) <= last else { throw refused }
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT sender_id, text, kind, recalled FROM messages
                        WHERE user_lo = ? AND user_hi = ? AND seq = ?
                        """
                ),
                arguments: [pair.lo, pair.hi, Int64(seq)]
            ),
            (row["kind"] as Int) != MessageKind.recall.rawValue
        else { throw refused }
        let recalled: Bool = row["recalled"]
        return ReplyReference(
            seq: seq,
            senderID: row["sender_id"],
            excerpt: recalled ? "" : (row["text"] as String).replyExcerpt()
        )
    }

    /// A current member's place in the group, once per batch; nil for anyone else.
    mutating func membership(of user: UserID, in group: GroupID, _ db: Database) throws -> GroupMembership? {
        let key = Member(group: group, user: user)
        if let known = memberships[key] { return known }
        let found = try RawStatement(
            db,
            """
            SELECT m.joined_seq, g.owner_id = m.user_id FROM group_members m JOIN groups g ON g.id = m.group_id
            WHERE m.group_id = ?1 AND m.user_id = ?2 AND m.left_seq IS NULL
            """
        ).int64s(2, .integer(group), .integer(user))
        let membership = found.map { GroupMembership(joinedSeq: $0[0], isOwner: $0[1] != 0) }
        memberships[key] = membership
        return membership
    }

    /// Mentions name members (at most `maxMentions`); @all is the owner's.
    private func checkMentions(_ message: NewMessage, in group: GroupID, senderIsOwner: Bool, _ db: Database) throws {
        if message.mentionsAll && !senderIsOwner {
            throw SQLiteMessageStore.Refused(
                error: ChatError(.notGroupOwner, "Only the group's owner can mention everyone.")
            )
        }
        let mentioned = Set(message.mentions)
        guard !mentioned.isEmpty else { return }
        guard mentioned.count <= ProtocolLimits.maxMentions else {
            throw SQLiteMessageStore.Refused(
                error: ChatError(.badRequest, "A message can mention at most \(ProtocolLimits.maxMentions) people.")
            )
        }
        let ids = mentioned.map(String.init).joined(separator: ",")
        let members =
            try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM group_members
                    WHERE group_id = ? AND left_seq IS NULL AND user_id IN (\(ids))
                    """,
                arguments: [group]
            ) ?? 0
        guard members == mentioned.count else {
            throw SQLiteMessageStore.Refused(
                error: ChatError(.notAMember, "You can only mention members of the group.")
            )
        }
    }
}
