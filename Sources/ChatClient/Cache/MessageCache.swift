import ChatProtocol
import Foundation
import GRDB

/// The client's local store, one SQLite file per account and server: friends, messages (with a
/// full-text index), conversations, the sync cursor and the outbox. The UI reads it first, so the
/// app opens instantly and works offline; the network fills it in.
public final class MessageCache: Sendable {
    public let path: String
    let pool: DatabasePool

    public init(path: String) throws {
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
        try Self.migrator.migrate(pool)
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

    /// Stores messages (ignoring ones already there) and moves conversations forward. Optionally
    /// advances the sync cursor in the same transaction, so a crash never skips an update.
    public func apply(
        messages: [ChatMessage],
        readMarks: [(peer: UserID, seq: UInt64)] = [],
        me: UserID,
        cursor: UInt64? = nil
    ) throws {
        try pool.write { db in
            // The server is not trusted: a sequence number SQLite cannot hold is not stored (the
            // conversion would trap), and nothing sane ever comes near it.
            for message in messages where message.seq <= UInt64(Int64.max) {
                let peer = message.peer(of: me)
                try db.execute(
                    sql: """
                        INSERT OR IGNORE INTO messages(id, client_msg_id, sender_id, recipient_id, peer_id, seq, text, sent_at_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        message.id, message.clientMessageID, message.senderID, message.recipientID, peer,
                        Int64(message.seq), message.text, message.sentAtMs,
                    ]
                )
                try db.execute(
                    sql: """
                        INSERT INTO conversations(peer_id, last_seq, read_seq, last_message_id) VALUES (?, ?, ?, ?)
                        ON CONFLICT(peer_id) DO UPDATE SET
                            last_message_id = CASE WHEN excluded.last_seq > last_seq THEN excluded.last_message_id ELSE last_message_id END,
                            last_seq = max(last_seq, excluded.last_seq),
                            read_seq = max(read_seq, excluded.read_seq)
                        """,
                    arguments: [peer, Int64(message.seq), message.senderID == me ? Int64(message.seq) : 0, message.id]
                )
                if message.senderID == me {
                    try db.execute(
                        sql: "DELETE FROM outbox WHERE client_msg_id = ?",
                        arguments: [message.clientMessageID]
                    )
                }
            }
            for mark in readMarks {
                try Self.setReadSeq(mark.seq, peer: mark.peer, in: db)
            }
            if let cursor {
                try db.execute(
                    sql:
                        "INSERT INTO meta(key, value) VALUES ('sync_cursor', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    arguments: [String(cursor)]
                )
            }
        }
    }

    public func setReadSeq(_ seq: UInt64, peer: UserID) throws {
        try pool.write { db in try Self.setReadSeq(seq, peer: peer, in: db) }
    }

    static func setReadSeq(_ seq: UInt64, peer: UserID, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO conversations(peer_id, last_seq, read_seq) VALUES (?, 0, ?)
                ON CONFLICT(peer_id) DO UPDATE SET read_seq = max(read_seq, excluded.read_seq)
                """,
            arguments: [peer, Int64(clamping: seq)]
        )
    }

    /// Server truth for conversations (after connecting), merged so nothing moves backwards.
    public func mergeConversations(_ conversations: [Conversation], me: UserID) throws {
        try apply(
            messages: conversations.compactMap(\.lastMessage),
            readMarks: conversations.map { ($0.peerID, $0.readSeq) },
            me: me
        )
    }

    /// Newest first, `seq < beforeSeq` (0 = from the newest).
    public func history(peer: UserID, beforeSeq: UInt64 = 0, limit: Int = 50) throws -> [ChatMessage] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM messages WHERE peer_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                arguments: [peer, beforeSeq == 0 ? Int64.max : Int64(clamping: beforeSeq), limit]
            ).map(Self.message)
        }
    }

    /// Messages containing `text` anywhere, newest first: in every conversation, or only in the
    /// one with `peer`.
    public func search(_ text: String, peer: UserID? = nil, limit: Int = 100) throws -> [ChatMessage] {
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
    public func searchCount(_ text: String, peer: UserID? = nil) throws -> Int {
        guard let match = Self.searchMatch(text, peer: peer) else { return 0 }
        return try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) \(match.sql)", arguments: match.arguments) ?? 0
        }
    }

    /// The FROM and WHERE of a search, with their arguments; nil for a blank query.
    private static func searchMatch(_ text: String, peer: UserID?) -> (sql: String, arguments: StatementArguments)? {
        let query = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !query.isEmpty else { return nil }
        var sql: String
        var arguments: StatementArguments
        if query.count >= 3 {
            // Quoted as one FTS5 string so operators and punctuation in the query are literal.
            let phrase = "\"" + query.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            sql = "FROM messages_fts f JOIN messages m ON m.id = f.rowid WHERE messages_fts MATCH ?"
            arguments = [phrase]
        } else {
            let escaped = query.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_")
            sql = "FROM messages m WHERE m.text LIKE ? ESCAPE '\\'"
            arguments = ["%" + escaped + "%"]
        }
        if let peer {
            sql += " AND m.peer_id = ?"
            arguments += [peer]
        }
        return (sql, arguments)
    }

    public func conversations() throws -> [Conversation] {
        try pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT c.peer_id AS conv_peer, c.last_seq AS conv_last_seq, c.read_seq AS conv_read_seq, m.*
                    FROM conversations c LEFT JOIN messages m ON m.id = c.last_message_id
                    """
            ).map { row in
                let hasMessage = (row["id"] as Int64?) != nil
                return Conversation(
                    peerID: row["conv_peer"],
                    lastMessage: hasMessage ? Self.message(row) : nil,
                    lastSeq: UInt64(row["conv_last_seq"] as Int64),
                    readSeq: UInt64(row["conv_read_seq"] as Int64)
                )
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
                sql: "INSERT OR IGNORE INTO outbox(client_msg_id, peer_id, text, created_at_ms) VALUES (?, ?, ?, ?)",
                arguments: [message.clientMessageID, message.peerID, message.text, message.createdAtMs]
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
                    createdAtMs: row["created_at_ms"]
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
        ChatMessage(
            id: row["id"],
            clientMessageID: row["client_msg_id"],
            senderID: row["sender_id"],
            recipientID: row["recipient_id"],
            seq: UInt64(row["seq"] as Int64),
            text: row["text"],
            sentAtMs: row["sent_at_ms"]
        )
    }
}
