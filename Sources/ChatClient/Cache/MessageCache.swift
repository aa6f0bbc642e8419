import ChatProtocol
import Foundation
import GRDB

/// The client's local store, one SQLite file per account and server: friends, messages (with a
/// full-text index), conversations (with how far this device has each: its position), groups,
/// the sync cursor and the outbox. The UI reads it first, so the app opens instantly and works
/// offline; the network fills it in.
///
/// Conversations are keyed by `ConversationKey.rawValue` (the `peer_id` columns): a friend's id,
/// or a group's id negated. A group's messages, read mark and mute live in the same tables as a
/// friend's; `group_chats` adds what only a group has.
public final class MessageCache: Sendable {
    public let path: String
    let pool: DatabasePool

    public convenience init(path: String) throws {
        try self.init(path: path, migratedUpTo: nil)
    }

    /// Opens the file migrated as far as `lastMigration` (all the way when nil): the migration
    /// tests make a cache of an older version with it.
    init(path: String, migratedUpTo lastMigration: String?) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // The outbox must survive a crash; messages can be re-synced, but one setting keeps it simple.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        if let lastMigration {
            try Self.migrator.migrate(pool, upTo: lastMigration)
        } else {
            try Self.migrator.migrate(pool)
        }
    }

    /// `<data>/<host>_<port>/<username>.sqlite`, `<data>` being `AppPaths.data`.
    public static func defaultPath(
        host: String,
        port: Int,
        username: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> String {
        let base = AppPaths(environment: environment).data
        return "\(base)/\(SafeFileName.from(host))_\(port)/\(SafeFileName.from(username.lowercased())).sqlite"
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE users(id INTEGER PRIMARY KEY, username TEXT NOT NULL);
                    CREATE TABLE friends(
                        user_id INTEGER PRIMARY KEY,
                        remark TEXT NOT NULL DEFAULT '',
                        blocked INTEGER NOT NULL DEFAULT 0,
                        since_ms INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE messages(
                        id INTEGER PRIMARY KEY,
                        client_msg_id TEXT NOT NULL,
                        sender_id INTEGER NOT NULL,
                        recipient_id INTEGER NOT NULL,
                        peer_id INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        text TEXT NOT NULL,
                        sent_at_ms INTEGER NOT NULL,
                        UNIQUE(peer_id, seq)
                    );
                    -- Trigram tokens find any substring of 3+ characters, which is what CJK text needs
                    -- (it has no spaces between words). Shorter queries fall back to LIKE.
                    CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='id', tokenize='trigram');
                    CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
                        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
                    END;
                    CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
                        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
                    END;
                    CREATE TABLE conversations(
                        peer_id INTEGER PRIMARY KEY,
                        last_seq INTEGER NOT NULL DEFAULT 0,
                        read_seq INTEGER NOT NULL DEFAULT 0,
                        last_message_id INTEGER
                    );
                    CREATE TABLE outbox(
                        local_id INTEGER PRIMARY KEY AUTOINCREMENT,
                        client_msg_id TEXT NOT NULL UNIQUE,
                        peer_id INTEGER NOT NULL,
                        text TEXT NOT NULL,
                        created_at_ms INTEGER NOT NULL
                    );
                    """
            )
        }
        // What was typed to a conversation and not sent, so a restart keeps it.
        migrator.registerMigration("v2 drafts") { db in
            try db.execute(sql: "CREATE TABLE drafts(peer_id INTEGER PRIMARY KEY, text TEXT NOT NULL)")
        }
        // Groups, replies, mentions, recalls, mutes and read receipts. Id lists are kept as text
        // ("2,3"): they are only ever read whole, with their message. The group table is not
        // called `groups`, an SQL keyword since window functions. `synced_seq` is how far this
        // device has every message of the group it may see (where its catch-up starts); the
        // conversation's last seq can be ahead of it (a listing, or a push past a gap).
        migrator.registerMigration("v3 groups") { db in
            try db.execute(
                sql: """
                    ALTER TABLE messages ADD COLUMN group_id INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
                    ALTER TABLE messages ADD COLUMN mentions_all INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN reply_to_seq INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN reply_to_sender_id INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN reply_excerpt TEXT NOT NULL DEFAULT '';
                    ALTER TABLE messages ADD COLUMN recalled INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN recalled_seq INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN change_kind INTEGER;
                    ALTER TABLE messages ADD COLUMN change_user_ids TEXT NOT NULL DEFAULT '';
                    ALTER TABLE messages ADD COLUMN change_value TEXT NOT NULL DEFAULT '';
                    -- A recall clears the excerpts of the replies quoting the message: find them.
                    CREATE INDEX messages_replies ON messages(peer_id, reply_to_seq) WHERE reply_to_seq != 0;
                    -- A recall empties a message's text: the external-content index must forget the old
                    -- text (given back exactly, as FTS5's 'delete' needs) before it learns the new.
                    CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
                        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
                        INSERT INTO messages_fts(rowid, text) VALUES (new.id, new.text);
                    END;
                    ALTER TABLE conversations ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE conversations ADD COLUMN peer_read_seq INTEGER NOT NULL DEFAULT 0;
                    CREATE TABLE group_chats(
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL DEFAULT '',
                        announcement TEXT NOT NULL DEFAULT '',
                        owner_id INTEGER NOT NULL DEFAULT 0,
                        member_count INTEGER NOT NULL DEFAULT 0,
                        joined_seq INTEGER NOT NULL DEFAULT 0,
                        is_member INTEGER NOT NULL DEFAULT 1,
                        mentioned INTEGER NOT NULL DEFAULT 0,
                        unread INTEGER NOT NULL DEFAULT 0,
                        synced_seq INTEGER NOT NULL DEFAULT 0
                    );
                    ALTER TABLE outbox ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
                    ALTER TABLE outbox ADD COLUMN mentions_all INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE outbox ADD COLUMN reply_to_seq INTEGER NOT NULL DEFAULT 0;
                    """
            )
        }
        // Protocol 3: one-to-one messages are no longer in the update log; a friend's conversation
        // is followed by its position as a group's is. Every conversation's position is now
        // `conversations.synced_seq` (a group's moves over from `group_chats.synced_seq`, which is
        // left in place, no longer read). A friend's starts at the highest seq the cache holds of
        // it: the old log brought every message up to there in order, and a hole (left by a
        // compacted log) is filled by history when the chat is opened, as it always was.
        migrator.registerMigration("v4 positions") { db in
            try db.execute(
                sql: """
                    ALTER TABLE conversations ADD COLUMN synced_seq INTEGER NOT NULL DEFAULT 0;
                    UPDATE conversations SET synced_seq =
                        coalesce((SELECT max(m.seq) FROM messages m WHERE m.peer_id = conversations.peer_id), 0)
                    WHERE peer_id > 0;
                    INSERT INTO conversations(peer_id, synced_seq)
                        SELECT -id, synced_seq FROM group_chats WHERE id > 0 AND synced_seq > 0
                    ON CONFLICT(peer_id) DO UPDATE SET synced_seq = max(synced_seq, excluded.synced_seq);
                    INSERT OR IGNORE INTO meta(key, value)
                        SELECT 'caught_up_once', '1'
                        WHERE EXISTS(SELECT 1 FROM meta WHERE key = 'sync_cursor' AND value <> '0')
                           OR EXISTS(SELECT 1 FROM messages);
                    """
            )
        }
        return migrator
    }

    // MARK: Meta

    public func value(for key: String) throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    public func setValue(_ value: String, for key: String) throws {
        try pool.write { db in
            try db.execute(
                sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                arguments: [key, value]
            )
        }
    }

    /// This cache finished catching up with the server at least once (a cache from before
    /// protocol 3 that had synced counts as having done so).
    public func caughtUpOnce() throws -> Bool {
        try value(for: "caught_up_once") == "1"
    }

    public func setCaughtUpOnce() throws {
        try setValue("1", for: "caught_up_once")
    }

    /// The last update id applied to this cache.
    public func syncCursor() throws -> UInt64 {
        UInt64(try value(for: "sync_cursor") ?? "0") ?? 0
    }

    // MARK: People

    public func saveUsers(_ users: [UserSummary]) throws {
        try pool.write { db in try Self.saveUsers(users, in: db) }
    }

    static func saveUsers(_ users: [UserSummary], in db: Database) throws {
        for user in users {
            try db.execute(
                sql:
                    "INSERT INTO users(id, username) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET username = excluded.username",
                arguments: [user.id, user.username]
            )
        }
    }

    public func user(id: UserID) throws -> UserSummary? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE id = ?", arguments: [id]).map {
                UserSummary(id: $0["id"], username: $0["username"])
            }
        }
    }

    /// Replaces the friend list (presence is live state and is not cached).
    public func replaceFriends(_ friends: [Friend]) throws {
        try pool.write { db in
            try Self.saveUsers(friends.map(\.user), in: db)
            try db.execute(sql: "DELETE FROM friends")
            for friend in friends {
                try db.execute(
                    sql: "INSERT INTO friends(user_id, remark, blocked, since_ms) VALUES (?, ?, ?, ?)",
                    arguments: [friend.user.id, friend.remark, friend.blockedByMe, friend.sinceMs]
                )
            }
        }
    }

    public func friends() throws -> [Friend] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT f.*, u.username FROM friends f JOIN users u ON u.id = f.user_id").map {
                row in
                Friend(
                    user: UserSummary(id: row["user_id"], username: row["username"]),
                    remark: row["remark"],
                    online: false,
                    blockedByMe: row["blocked"],
                    sinceMs: row["since_ms"]
                )
            }
        }
    }

    // MARK: Messages

    /// Stores messages (ignoring ones already there) and moves conversations forward; withdraws
    /// what their recall lines (or their own `recalled`) say was recalled. Optionally advances
    /// the sync cursor in the same transaction, so a crash never skips an update, and
    /// conversations' positions (`positions`), so a crash never leaves one past a message not
    /// stored.
    ///
    /// `readMarks` are keyed by conversation (`ConversationKey.rawValue`), `peerReadMarks` by the
    /// friend who read mine. Returns the withdrawals that were news to this cache.
    @discardableResult
    public func apply(
        messages: [ChatMessage],
        readMarks: [(peer: Int64, seq: UInt64)] = [],
        peerReadMarks: [(peer: UserID, seq: UInt64)] = [],
        mutes: [(conversation: ConversationKey, muted: Bool)] = [],
        positions: [ConversationKey: UInt64] = [:],
        me: UserID,
        cursor: UInt64? = nil
    ) throws -> [MessageWithdrawal] {
        try pool.write { db in
            let withdrawn = try Self.store(messages, me: me, in: db)
            for mark in readMarks {
                try Self.setReadSeq(mark.seq, peer: mark.peer, in: db)
            }
            for mark in peerReadMarks {
                try Self.setPeerReadSeq(mark.seq, peer: mark.peer, raiseOnly: true, in: db)
            }
            for mute in mutes {
                try Self.setMuted(mute.muted, conversation: mute.conversation, in: db)
            }
            for (conversation, seq) in positions {
                try Self.setPosition(seq, of: conversation, in: db)
            }
            if let cursor {
                try db.execute(
                    sql:
                        "INSERT INTO meta(key, value) VALUES ('sync_cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [String(cursor)]
                )
            }
            return withdrawn
        }
    }

    /// How far this device has every message of each conversation (a friend's or a group's) it
    /// may see: where its catch-up starts. The conversation's last seq can be ahead of it (a
    /// listing, or a push past a gap); one without a row starts at 0.
    public func positions() throws -> [ConversationKey: UInt64] {
        try pool.read { db in
            var positions: [ConversationKey: UInt64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT peer_id, synced_seq FROM conversations WHERE peer_id != 0") {
                positions[ConversationKey(rawValue: row["peer_id"])] = UInt64(clamping: row["synced_seq"] as Int64)
            }
            return positions
        }
    }

    static func setPosition(_ seq: UInt64, of conversation: ConversationKey, in db: Database) throws {
        // Only keys a conversation can have (`ChatMessage.storageKey`): not 0, nor Int64.min.
        guard conversation.userID != nil || conversation.groupID != nil else { return }
        try db.execute(
            sql: """
                INSERT INTO conversations(peer_id, synced_seq) VALUES (?, ?)
                ON CONFLICT(peer_id) DO UPDATE SET synced_seq = max(synced_seq, excluded.synced_seq)
                """,
            arguments: [conversation.rawValue, Int64(clamping: seq)]
        )
    }

    /// Stores each message a conversation can hold (`ChatMessage.storageKey`), then withdraws what
    /// the batch says was recalled: after every insert, as a recall line and its original may
    /// come in one batch in any order. The withdrawals that changed something, or whose recall
    /// line is new here.
    static func store(_ messages: [ChatMessage], me: UserID, in db: Database) throws -> [MessageWithdrawal] {
        var stored: [(message: ChatMessage, key: ConversationKey, inserted: Bool)] = []
        for message in messages {
            guard let key = message.storageKey(of: me) else { continue }
            let inserted = try insert(message, key: key, me: me, in: db)
            stored.append((message, key, inserted))
        }
        var withdrawn: [MessageWithdrawal] = []
        for (message, key, inserted) in stored {
            if message.kind == .recall, message.recalledSeq > 0 {
                let seq = message.recalledSeq
                let changed = try withdraw(seq: seq, sender: message.senderID, peer: key.rawValue, in: db)
                if changed || inserted { withdrawn.append(MessageWithdrawal(conversation: key, seq: seq)) }
            } else if message.recalled,
                try withdraw(seq: message.seq, sender: message.senderID, peer: key.rawValue, in: db)
            {
                withdrawn.append(MessageWithdrawal(conversation: key, seq: message.seq))
            }
        }
        return withdrawn
    }

    /// One message, unless it is there already (whether it was not); its conversation moved on.
    private static func insert(
        _ message: ChatMessage,
        key: ConversationKey,
        me: UserID,
        in db: Database
    ) throws -> Bool {
        try db.execute(
            sql: """
                INSERT OR IGNORE INTO messages(
                    id, client_msg_id, sender_id, recipient_id, peer_id, seq, text, sent_at_ms,
                    group_id, kind, mentions, mentions_all, reply_to_seq, reply_to_sender_id, reply_excerpt,
                    recalled, recalled_seq, change_kind, change_user_ids, change_value)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                message.id, message.clientMessageID, message.senderID, message.recipientID, key.rawValue,
                Int64(message.seq), message.text, message.sentAtMs,
                message.groupID, message.kind.rawValue, idList(message.mentions), message.mentionsAll,
                Int64(clamping: message.reply?.seq ?? 0), message.reply?.senderID ?? 0, message.reply?.excerpt ?? "",
                message.recalled, Int64(message.recalledSeq), message.change?.kind.rawValue,
                idList(message.change?.userIDs ?? []), message.change?.value ?? "",
            ]
        )
        let inserted = db.changesCount > 0
        if !inserted && !message.recalled {
            // A listing's preview (the text cut short) stored first: the whole message, when it
            // comes, replaces it (the FTS index follows through the update trigger).
            try db.execute(
                sql: """
                    UPDATE messages SET text = ?1
                    WHERE id = ?2 AND recalled = 0 AND length(text) < length(?1) AND substr(?1, 1, length(text)) = text
                    """,
                arguments: [message.text, message.id]
            )
            // A preview carries no reply excerpt: the whole message's fills it in (else the
            // quote above it reads as recalled).
            if let reply = message.reply, !reply.excerpt.isEmpty {
                try db.execute(
                    sql: """
                        UPDATE messages SET reply_excerpt = ?1
                        WHERE id = ?2 AND reply_to_seq = ?3 AND reply_excerpt = ''
                        """,
                    arguments: [reply.excerpt, message.id, Int64(clamping: reply.seq)]
                )
            }
        }
        // `>=`: a listing can move the last seq on before its message is here; when it comes, it
        // becomes the preview.
        try db.execute(
            sql: """
                INSERT INTO conversations(peer_id, last_seq, read_seq, last_message_id) VALUES (?, ?, ?, ?)
                ON CONFLICT(peer_id) DO UPDATE SET
                    last_message_id = CASE WHEN excluded.last_seq >= last_seq THEN excluded.last_message_id ELSE last_message_id END,
                    last_seq = max(last_seq, excluded.last_seq),
                    read_seq = max(read_seq, excluded.read_seq)
                """,
            arguments: [key.rawValue, Int64(message.seq), message.senderID == me ? Int64(message.seq) : 0, message.id]
        )
        if message.senderID == me {
            try db.execute(sql: "DELETE FROM outbox WHERE client_msg_id = ?", arguments: [message.clientMessageID])
        }
        return inserted
    }

    /// Withdraws the message at `seq` of the conversation `peer`, if `sender` sent it (only the
    /// sender recalls): its text goes (from the search index too, by the update trigger), and so
    /// do the excerpts of the replies quoting it. Whether anything changed.
    static func withdraw(seq: UInt64, sender: UserID, peer: Int64, in db: Database) throws -> Bool {
        guard seq > 0, seq <= UInt64(Int64.max) else { return false }
        try db.execute(
            sql: """
                UPDATE messages SET text = '', recalled = 1
                WHERE peer_id = ? AND seq = ? AND sender_id = ? AND (recalled = 0 OR text != '')
                """,
            arguments: [peer, Int64(seq), sender]
        )
        var changed = db.changesCount > 0
        try db.execute(
            sql: """
                UPDATE messages SET reply_excerpt = ''
                WHERE peer_id = ? AND reply_to_seq = ? AND reply_to_seq != 0 AND reply_excerpt != ''
                """,
            arguments: [peer, Int64(seq)]
        )
        changed = changed || db.changesCount > 0
        return changed
    }

    /// Ids as the cache keeps a list of them: "2,3".
    static func idList(_ ids: [Int64]) -> String {
        ids.map(String.init).joined(separator: ",")
    }

    static func ids(_ list: String) -> [Int64] {
        list.split(separator: ",").compactMap { Int64($0) }
    }

    /// `peer` is the conversation's key (`ConversationKey.rawValue`).
    public func setReadSeq(_ seq: UInt64, peer: Int64) throws {
        try pool.write { db in try Self.setReadSeq(seq, peer: peer, in: db) }
    }

    static func setReadSeq(_ seq: UInt64, peer: Int64, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO conversations(peer_id, last_seq, read_seq) VALUES (?, 0, ?)
                ON CONFLICT(peer_id) DO UPDATE SET read_seq = max(read_seq, excluded.read_seq)
                """,
            arguments: [peer, Int64(clamping: seq)]
        )
    }

    /// Server truth for conversations (after connecting), merged so nothing moves backwards; a
    /// mute and how far the friend has read (0 once either turned read receipts off) are taken
    /// as they are.
    public func mergeConversations(_ conversations: [Conversation], me: UserID) throws {
        let conversations = conversations.filter { $0.peerID > 0 }
        try pool.write { db in
            _ = try Self.store(conversations.compactMap(\.lastMessage), me: me, in: db)
            for conversation in conversations {
                try Self.setReadSeq(conversation.readSeq, peer: conversation.peerID, in: db)
                try Self.setMuted(conversation.muted, conversation: .direct(conversation.peerID), in: db)
                try Self.setPeerReadSeq(conversation.peerReadSeq, peer: conversation.peerID, raiseOnly: false, in: db)
            }
        }
    }

    /// Newest first, `seq < beforeSeq` (0 = from the newest), of the conversation `peer`
    /// (`ConversationKey.rawValue`).
    public func history(peer: Int64, beforeSeq: UInt64 = 0, limit: Int = 50) throws -> [ChatMessage] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM messages WHERE peer_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                arguments: [peer, beforeSeq == 0 ? Int64.max : Int64(clamping: beforeSeq), limit]
            ).map(Self.message)
        }
    }

    /// Messages containing `text` anywhere, newest first: in every conversation, or only in the
    /// one keyed `peer` (`ConversationKey.rawValue`). Recall lines are not found (the UI shows
    /// them as their original).
    public func search(_ text: String, peer: Int64? = nil, limit: Int = 100) throws -> [ChatMessage] {
        guard let match = Self.searchMatch(text, peer: peer) else { return [] }
        return try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT m.* \(match.sql) ORDER BY m.sent_at_ms DESC LIMIT ?",
                arguments: match.arguments + [limit]
            ).map(Self.message)
        }
    }

    /// How many messages `search` finds with no limit: a list cut at 100 says of how many.
    public func searchCount(_ text: String, peer: Int64? = nil) throws -> Int {
        guard let match = Self.searchMatch(text, peer: peer) else { return 0 }
        return try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) \(match.sql)", arguments: match.arguments) ?? 0
        }
    }

    /// The FROM and WHERE of a search, with their arguments; nil for a blank query.
    private static func searchMatch(_ text: String, peer: Int64?) -> (sql: String, arguments: StatementArguments)? {
        let query = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !query.isEmpty else { return nil }
        var sql: String
        var arguments: StatementArguments
        if query.count >= 3 {
            // Quoted as one FTS5 string so operators and punctuation in the query are literal.
            let phrase = "\"" + query.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            sql = "FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ? AND m.kind != 2"
            arguments = [phrase]
        } else {
            let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            sql = "FROM messages m WHERE m.text LIKE ? ESCAPE '\\' AND m.kind != 2"
            arguments = ["%" + escaped + "%"]
        }
        if let peer {
            sql += " AND m.peer_id = ?"
            arguments += [peer]
        }
        return (sql, arguments)
    }

    /// The one-to-one conversations (groups are `groups()`).
    public func conversations() throws -> [Conversation] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.peer_id AS conv_peer, c.last_seq AS conv_last_seq, c.read_seq AS conv_read_seq,
                        c.muted AS conv_muted, c.peer_read_seq AS conv_peer_read_seq, m.*
                    FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id
                    WHERE c.peer_id > 0
                    """
            ).map { row in
                let hasMessage = (row["id"] as Int64?) != nil
                var conversation = Conversation(
                    peerID: row["conv_peer"],
                    lastMessage: hasMessage ? Self.message(row) : nil,
                    lastSeq: UInt64(row["conv_last_seq"] as Int64),
                    readSeq: UInt64(row["conv_read_seq"] as Int64)
                )
                conversation.muted = row["conv_muted"]
                conversation.peerReadSeq = UInt64(clamping: row["conv_peer_read_seq"] as Int64)
                return conversation
            }
        }
    }

    public func messageCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM messages") ?? 0 }
    }

    // MARK: Drafts

    /// Keeps what was typed to each conversation and not sent, in place of what was kept before
    /// (a draft sent or emptied since is gone from `drafts`). Empty texts are not kept.
    public func replaceDrafts(_ drafts: [UserID: String]) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM drafts")
            for (peer, text) in drafts where !text.isEmpty {
                try db.execute(sql: "INSERT INTO drafts(peer_id, text) VALUES (?, ?)", arguments: [peer, text])
            }
        }
    }

    /// Every conversation's unsent text.
    public func drafts() throws -> [UserID: String] {
        try pool.read { db in
            var drafts: [UserID: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT peer_id, text FROM drafts") {
                let peer: UserID = row["peer_id"]
                let text: String = row["text"]
                drafts[peer] = text
            }
            return drafts
        }
    }

    // MARK: Outbox

    public func enqueue(_ message: OutboxMessage) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO outbox(client_msg_id, peer_id, text, created_at_ms, mentions, mentions_all, reply_to_seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    message.clientMessageID, message.peerID, message.text, message.createdAtMs,
                    Self.idList(message.mentions), message.mentionsAll, Int64(clamping: message.replyToSeq),
                ]
            )
        }
    }

    /// Unsent messages, in the order they were typed.
    public func outbox() throws -> [OutboxMessage] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM outbox ORDER BY local_id").map { row in
                OutboxMessage(
                    clientMessageID: row["client_msg_id"],
                    peerID: row["peer_id"],
                    text: row["text"],
                    createdAtMs: row["created_at_ms"],
                    mentions: Self.ids(row["mentions"]),
                    mentionsAll: row["mentions_all"],
                    replyToSeq: UInt64(clamping: row["reply_to_seq"] as Int64)
                )
            }
        }
    }

    /// Drops an outbox entry the server refused for good (e.g. no longer friends).
    public func dropFromOutbox(clientMessageID: String) throws {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM outbox WHERE client_msg_id = ?", arguments: [clientMessageID])
        }
    }

    static func message(_ row: Row) -> ChatMessage {
        var message = ChatMessage(
            id: row["id"],
            clientMessageID: row["client_msg_id"],
            senderID: row["sender_id"],
            recipientID: row["recipient_id"],
            seq: UInt64(row["seq"] as Int64),
            text: row["text"],
            sentAtMs: row["sent_at_ms"]
        )
        message.groupID = row["group_id"]
        message.kind = WireChatMessage.Kind(rawValue: row["kind"]) ?? .text
        message.mentions = ids(row["mentions"])
        message.mentionsAll = row["mentions_all"]
        let replyToSeq: Int64 = row["reply_to_seq"]
        if replyToSeq > 0 {
            message.reply = ReplyQuote(
                seq: UInt64(replyToSeq),
                senderID: row["reply_to_sender_id"],
                excerpt: row["reply_excerpt"]
            )
        }
        message.recalled = row["recalled"]
        message.recalledSeq = UInt64(clamping: row["recalled_seq"] as Int64)
        if let changeKind = row["change_kind"] as Int? {
            message.change = GroupChangeNote(
                kind: WireGroupChange.Kind(rawValue: changeKind) ?? .unspecified,
                userIDs: ids(row["change_user_ids"]),
                value: row["change_value"]
            )
        }
        return message
    }
}
