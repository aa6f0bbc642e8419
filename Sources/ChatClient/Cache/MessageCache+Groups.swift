import GRDB

/// Groups and conversation settings: what a restart shows before the server answers. A group's
/// last seq, read mark, mute, preview and position (`positions()`) are its row in
/// `conversations` (keyed by the negated id, like its messages); the rest is `group_chats`.
extension MessageCache {
    /// Every group this account is or was in, as last saved.
    public func groups() throws -> [GroupConversation] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT g.id AS g_id, g.name AS g_name, g.announcement AS g_announcement, g.owner_id AS g_owner_id,
                        g.member_count AS g_member_count, g.joined_seq AS g_joined_seq, g.is_member AS g_is_member,
                        g.mentioned AS g_mentioned, g.unread AS g_unread,
                        coalesce(c.last_seq, 0) AS conv_last_seq, coalesce(c.read_seq, 0) AS conv_read_seq,
                        coalesce(c.muted, 0) AS conv_muted, m.*
                    FROM group_chats g
                    LEFT JOIN conversations c ON c.peer_id = -g.id
                    LEFT JOIN messages m ON m.id = c.last_message_id
                    WHERE g.id > 0
                    """
            ).map { row in
                let hasMessage = (row["id"] as Int64?) != nil
                return GroupConversation(
                    group: GroupSummary(
                        id: row["g_id"],
                        name: row["g_name"],
                        announcement: row["g_announcement"],
                        ownerID: row["g_owner_id"],
                        memberCount: row["g_member_count"]
                    ),
                    lastMessage: hasMessage ? Self.message(row) : nil,
                    lastSeq: UInt64(clamping: row["conv_last_seq"] as Int64),
                    readSeq: UInt64(clamping: row["conv_read_seq"] as Int64),
                    unread: UInt64(clamping: row["g_unread"] as Int64),
                    mentioned: row["g_mentioned"],
                    muted: row["conv_muted"],
                    joinedSeq: UInt64(clamping: row["g_joined_seq"] as Int64),
                    isMember: row["g_is_member"]
                )
            }
        }
    }

    /// Keeps groups as the session now holds them: summary, badges and mute as given; the last
    /// seq and read mark never move back; the preview is stored as a message of the group.
    public func saveGroups(_ groups: [GroupConversation], me: UserID) throws {
        try pool.write { db in
            for conversation in groups where conversation.group.id > 0 {
                let summary = conversation.group
                let key = ConversationKey.group(summary.id)
                // The preview first: it becomes the conversation's last message only while its seq
                // is not behind the last seq, which the next statement may move on.
                if let preview = conversation.lastMessage, preview.storageKey(of: me) == key {
                    _ = try Self.store([preview], me: me, in: db)
                }
                try db.execute(
                    sql: """
                        INSERT INTO group_chats(id, name, announcement, owner_id, member_count, joined_seq, is_member, mentioned, unread)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        ON CONFLICT(id) DO UPDATE SET
                            name = excluded.name, announcement = excluded.announcement, owner_id = excluded.owner_id,
                            member_count = excluded.member_count, joined_seq = excluded.joined_seq,
                            is_member = excluded.is_member, mentioned = excluded.mentioned, unread = excluded.unread
                        """,
                    arguments: [
                        summary.id, summary.name, summary.announcement, summary.ownerID, summary.memberCount,
                        Int64(clamping: conversation.joinedSeq), conversation.isMember, conversation.mentioned,
                        Int64(clamping: conversation.unread),
                    ]
                )
                try db.execute(
                    sql: """
                        INSERT INTO conversations(peer_id, last_seq, read_seq, muted) VALUES (?, ?, ?, ?)
                        ON CONFLICT(peer_id) DO UPDATE SET
                            last_seq = max(last_seq, excluded.last_seq),
                            read_seq = max(read_seq, excluded.read_seq),
                            muted = excluded.muted
                        """,
                    arguments: [
                        key.rawValue, Int64(clamping: conversation.lastSeq), Int64(clamping: conversation.readSeq),
                        conversation.muted,
                    ]
                )
            }
        }
    }

    // MARK: Settings and receipts

    public func setMuted(_ muted: Bool, conversation: ConversationKey) throws {
        try pool.write { db in try Self.setMuted(muted, conversation: conversation, in: db) }
    }

    static func setMuted(_ muted: Bool, conversation: ConversationKey, in db: Database) throws {
        guard conversation.rawValue != 0 else { return }
        try db.execute(
            sql: """
                INSERT INTO conversations(peer_id, muted) VALUES (?, ?)
                ON CONFLICT(peer_id) DO UPDATE SET muted = excluded.muted
                """,
            arguments: [conversation.rawValue, muted]
        )
    }

    /// How far `peer` has read my messages: moved on only (`raiseOnly`, a receipt), or set as the
    /// server lists it (0 when either side turned receipts off).
    static func setPeerReadSeq(_ seq: UInt64, peer: UserID, raiseOnly: Bool, in db: Database) throws {
        guard peer > 0 else { return }
        try db.execute(
            sql: """
                INSERT INTO conversations(peer_id, peer_read_seq) VALUES (?, ?)
                ON CONFLICT(peer_id) DO UPDATE SET peer_read_seq =
                    CASE WHEN ? THEN max(peer_read_seq, excluded.peer_read_seq) ELSE excluded.peer_read_seq END
                """,
            arguments: [peer, Int64(clamping: seq), raiseOnly]
        )
    }

    /// Forgets how far friends have read (read receipts turned off: theirs are hidden too).
    public func clearPeerReadSeqs() throws {
        try pool.write { db in try db.execute(sql: "UPDATE conversations SET peer_read_seq = 0") }
    }

    /// Withdraws the message at `seq` of `conversation`, sent by `sender`, as a recall does;
    /// whether anything changed. For a recall known before its line is stored.
    @discardableResult
    public func withdraw(seq: UInt64, sender: UserID, in conversation: ConversationKey) throws -> Bool {
        try pool.write { db in try Self.withdraw(seq: seq, sender: sender, peer: conversation.rawValue, in: db) }
    }

    /// One message of a conversation, if the cache has it.
    public func cachedMessage(seq: UInt64, in conversation: ConversationKey) throws -> ChatMessage? {
        guard seq <= UInt64(Int64.max) else { return nil }
        return try pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM messages WHERE peer_id = ? AND seq = ?",
                arguments: [conversation.rawValue, Int64(seq)]
            ).map { Self.message($0) }
        }
    }
}
