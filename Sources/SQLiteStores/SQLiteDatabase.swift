import ChatProtocol
import ChatServices
import Foundation
import GRDB
import Logging

/// The embedded server database: one SQLite file in WAL mode, shared by every SQLite store.
///
/// Durability: `synchronous = FULL` makes every committed transaction survive a power loss, not
/// only a process crash. Group commit (see `GroupCommitter`) pays that fsync once per batch.
public final class SQLiteDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String
    private let checkpointer: WALCheckpointer
    private let readers: SQLiteReaders
    private let logger: Logger

    /// The writer's page cache. Its B-tree pages stay cached between commits (no other
    /// connection writes, so nothing invalidates them). A batch spread over many conversations
    /// touches more pages than SQLite's default 2 MiB holds, and each miss was a read from the
    /// file: 8 % of the server's time in `fixed --clients 1000` (README → Performance). Readers'
    /// caches are dropped whenever the writer commits, so they keep SQLite's default.
    public static let defaultWriterCacheMiB = 32
    public static let maxWriterCacheMiB = 65_536

    public init(path: String, writerCacheMiB: Int = defaultWriterCacheMiB, logger: Logger) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // A recalled message's text is overwritten where it lay, not left in free space.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            // Checkpoints run on WALCheckpointer's thread, never inside a commit; after each,
            // the WAL file is cut back to 64 MiB at most.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            if !db.configuration.readonly {
                // For a new file only (an existing one keeps its size). A message touches about
                // five B-tree pages (its row, its conversation's sequence index, its sender's
                // resend index, two update logs), each written whole to the WAL at commit: with
                // 1 KiB pages that is a quarter of the bytes 4 KiB pages cost, which is what
                // limits how many unbatched messages a second one writer can take (README,
                // Performance).
                try db.execute(sql: "PRAGMA page_size = 1024")
                try db.execute(
                    sql: "PRAGMA cache_size = -\(min(max(1, writerCacheMiB), Self.maxWriterCacheMiB) * 1024)"
                )
            }
        }
        self.path = path
        self.pool = try DatabasePool(path: path, configuration: configuration)
        // A file a newer server has migrated would fail here at its first write instead (v2
        // dropped a column v1's code writes): say so at once. Asked on the writer, as a pool
        // reader left open would outlive the writer at close and keep the WAL file.
        if try pool.writeWithoutTransaction(Self.migrator.hasBeenSuperseded) {
            try? pool.close()
            throw DatabaseError(message: "\(path) was written by a newer wechat-server; run that version or newer")
        }
        try Self.migrator.migrate(pool)
        self.checkpointer = try WALCheckpointer(path: path, logger: logger)
        self.readers = SQLiteReaders(path: path)
        self.logger = logger
        logger.info("database open", metadata: ["path": "\(path)", "journal": "wal", "synchronous": "full"])
    }

    /// Runs a short read on the calling thread, in a transaction (its statements see one snapshot).
    ///
    /// The stores' point lookups and pages read through this rather than GRDB's async `read`,
    /// which hops three times (onto the reader pool's semaphore queue, onto the reader's queue,
    /// back to the caller), and on a reader of `SQLiteReaders` rather than the pool's: for such
    /// reads the hops and the pool cost more than the read (README → Performance). It blocks
    /// the caller only while SQLite works: a WAL reader never waits for the writer, and taking a
    /// reader never waits. A read that scans a whole table (the user search) uses the pool's
    /// async `read` instead: it runs on GRDB's threads and leaves Swift's cooperative ones (as
    /// many as the cores) to the rest. Writes stay async: one may queue behind a group commit.
    func read<T>(_ value: (Database) throws -> T) throws -> T {
        if let result = try readers.withReader({ try $0.read(value) }) { return result }
        return try pool.read(value)  // closing
    }

    /// Like `read`, for one SELECT: no BEGIN and COMMIT around it, as one statement is
    /// consistent on its own.
    func readSingleStatement<T>(_ value: (Database) throws -> T) throws -> T {
        if let result = try readers.withReader({ try $0.unsafeRead(value) }) { return result }
        return try pool.unsafeRead(value)  // closing
    }

    /// Closes the file at shutdown (checkpointing the WAL). Throws `SQLITE_BUSY`, leaving the
    /// database usable, if a write is still running; nothing committed is at risk either way.
    public func close() throws {
        // The readers first, so that (unless a read is still running on one) the pool's
        // connections close last and SQLite checkpoints and removes the WAL.
        do {
            try readers.close()
        } catch {
            logger.warning("closing a database reader failed", metadata: ["error": "\(error)"])
        }
        checkpointer.stop()
        do {
            try pool.close()
        } catch {
            // Still open, and nothing checkpoints it now: let the writer do it again.
            try? pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 1000") }
            readers.reopen()
            throw error
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE users(
                        id INTEGER PRIMARY KEY,
                        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                        password_hash TEXT NOT NULL,
                        created_at_ms INTEGER NOT NULL,
                        last_update_id INTEGER NOT NULL DEFAULT 0
                    );
                    CREATE TABLE sessions(
                        token_hash BLOB PRIMARY KEY,
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        created_at_ms INTEGER NOT NULL,
                        expires_at_ms INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX sessions_by_user ON sessions(user_id);
                    CREATE TABLE friend_requests(
                        from_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        to_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        message TEXT NOT NULL,
                        created_at_ms INTEGER NOT NULL,
                        PRIMARY KEY(from_id, to_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX friend_requests_to ON friend_requests(to_id);
                    CREATE TABLE friendships(
                        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        friend_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        remark TEXT NOT NULL DEFAULT '',
                        since_ms INTEGER NOT NULL,
                        PRIMARY KEY(user_id, friend_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE blocks(
                        blocker_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        blocked_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                        PRIMARY KEY(blocker_id, blocked_id)
                    ) WITHOUT ROWID;
                    -- A conversation is the pair (user_lo < user_hi); last_seq numbers its messages.
                    CREATE TABLE conversations(
                        user_lo INTEGER NOT NULL,
                        user_hi INTEGER NOT NULL,
                        last_seq INTEGER NOT NULL,
                        last_message_id INTEGER NOT NULL,
                        PRIMARY KEY(user_lo, user_hi)
                    ) WITHOUT ROWID;
                    CREATE TABLE messages(
                        id INTEGER PRIMARY KEY,
                        user_lo INTEGER NOT NULL,
                        user_hi INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        sender_id INTEGER NOT NULL,
                        recipient_id INTEGER NOT NULL,
                        client_msg_id TEXT NOT NULL,
                        text TEXT NOT NULL,
                        sent_at_ms INTEGER NOT NULL,
                        -- The update-log entries this message made, so a resend is answered without a scan.
                        sender_update_id INTEGER NOT NULL DEFAULT 0,
                        recipient_update_id INTEGER NOT NULL DEFAULT 0,
                        UNIQUE(user_lo, user_hi, seq),
                        UNIQUE(sender_id, client_msg_id)
                    );
                    CREATE TABLE read_marks(
                        user_id INTEGER NOT NULL,
                        peer_id INTEGER NOT NULL,
                        read_seq INTEGER NOT NULL,
                        PRIMARY KEY(user_id, peer_id)
                    ) WITHOUT ROWID;
                    -- Each user's update log: gapless ids from 1, one row per message or read mark.
                    CREATE TABLE updates(
                        user_id INTEGER NOT NULL,
                        update_id INTEGER NOT NULL,
                        message_id INTEGER,
                        read_peer_id INTEGER,
                        read_seq INTEGER,
                        PRIMARY KEY(user_id, update_id)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v2: update-log numbers derived from the log") { db in
            // The log's last entry is the counter (SQLiteMessageStore.lastUpdateID).
            try db.execute(sql: "ALTER TABLE users DROP COLUMN last_update_id")
        }
        migrator.registerMigration("v3: usernames found by what they look like") { db in
            // The expression must be the one `username(lookingLike:)` queries, or the index is
            // not used; changing `AccountRules.skeletonSteps` needs a new step here.
            try db.execute(sql: "CREATE INDEX users_skeleton ON users(\(AccountRules.usernameSkeletonSQL()))")
        }
        migrator.registerMigration("v4: findable by email only by choice") { db in
            try db.execute(sql: "ALTER TABLE users ADD COLUMN findable_by_email INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v5: groups, replies, recall, mute, read receipts") { db in
            // A group's history is a conversation of its own in `messages` and `conversations`,
            // keyed (user_lo = 0, user_hi = group id): user ids start at 1, so no pair of users is
            // ever (0, n), and the group reuses the pair's seq, history and dedupe. Nothing is
            // written per member when a message is sent: a member's unread count and mentions
            // are derived from the group's seq and their row in group_members.
            try db.execute(
                sql: """
                    ALTER TABLE users ADD COLUMN sends_read_receipts INTEGER NOT NULL DEFAULT 1;
                    ALTER TABLE messages ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
                    ALTER TABLE messages ADD COLUMN mentions_all INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN reply_to_seq INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN reply_to_sender_id INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN reply_excerpt TEXT NOT NULL DEFAULT '';
                    ALTER TABLE messages ADD COLUMN recalled INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN recalled_seq INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN change_kind INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE messages ADD COLUMN change_user_ids TEXT NOT NULL DEFAULT '';
                    ALTER TABLE messages ADD COLUMN change_value TEXT NOT NULL DEFAULT '';
                    ALTER TABLE read_marks ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE updates ADD COLUMN group_id INTEGER;
                    ALTER TABLE updates ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE updates ADD COLUMN muted INTEGER;
                    CREATE TABLE groups(
                        id INTEGER PRIMARY KEY,
                        name TEXT NOT NULL,
                        announcement TEXT NOT NULL DEFAULT '',
                        owner_id INTEGER NOT NULL,
                        member_count INTEGER NOT NULL,
                        created_at_ms INTEGER NOT NULL
                    );
                    -- One row per user who is or was in the group. They see its messages from
                    -- joined_seq (the line that added them), through left_seq once they leave.
                    CREATE TABLE group_members(
                        group_id INTEGER NOT NULL,
                        user_id INTEGER NOT NULL,
                        joined_seq INTEGER NOT NULL,
                        left_seq INTEGER,
                        read_seq INTEGER NOT NULL DEFAULT 0,
                        muted INTEGER NOT NULL DEFAULT 0,
                        joined_at_ms INTEGER NOT NULL,
                        PRIMARY KEY(group_id, user_id)
                    ) WITHOUT ROWID;
                    CREATE INDEX group_members_by_user ON group_members(user_id, group_id);
                    -- Who a group message mentions by name: one row per mention (at most
                    -- ProtocolLimits.maxMentions a message), not per member.
                    CREATE TABLE group_mentions(
                        user_id INTEGER NOT NULL,
                        group_id INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        PRIMARY KEY(user_id, group_id, seq)
                    ) WITHOUT ROWID;
                    """
            )
        }
        migrator.registerMigration("v6: one-to-one messages followed by position, not logged") { db in
            // Messages stopped making update-log rows (two B-tree inserts each); a device follows
            // each conversation by its seq and checks the sum of its positions against
            // `directSeqSum` in every heartbeat, which finds a user's conversations from both
            // ends of the pair. Rows logged before stay and are replayed as they were.
            try db.execute(sql: "CREATE INDEX conversations_by_hi ON conversations(user_hi, user_lo)")
        }
        return migrator
    }

    /// A storage failure as a client should hear it: a full disk or a failing one is
    /// `unavailable` (the outbox sends the message again once there is room), not `internal`.
    /// Anything else is returned as it is.
    static func forClients(_ error: any Error) -> any Error {
        guard let error = error as? DatabaseError else { return error }
        switch error.resultCode {
        case .SQLITE_FULL:
            return ChatError(
                .unavailable,
                "The server's disk is full. Your message will be sent again when there is room.",
                retryAfterSeconds: 5
            )
        case .SQLITE_IOERR, .SQLITE_ABORT:
            // An I/O error, or a transaction SQLite rolled back by itself after one (a full disk
            // often shows as this in the statements after the failing one).
            return ChatError(
                .unavailable,
                "The server could not store it just now. Your message will be sent again.",
                retryAfterSeconds: 5
            )
        default:
            return error
        }
    }

    /// Whether a GRDB error is a UNIQUE constraint violation.
    static func isUniqueViolation(_ error: Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
            || error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY
    }
}
