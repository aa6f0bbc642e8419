import ChatProtocol
import Logging
import PostgresNIO

/// The cluster's database: a pool of connections to one PostgreSQL server (postgres-nio's
/// `PostgresClient`), with the schema brought up to date when it opens.
///
/// What must last lives here (users, sessions as token hashes, and, as the cluster grows, the
/// social graph and messages); Redis holds only what can be rebuilt. Every process of a cluster
/// opens it; migrations take an advisory lock, so two processes starting at once cannot apply one
/// twice.
public final class PostgresStoreDatabase: Sendable {
    public let client: PostgresClient
    let logger: Logger
    private let running: Task<Void, Never>

    /// Connects, checks the server answers within `timeout`, and migrates. A server that cannot
    /// be reached is a plain sentence naming it, never a hang.
    public static func open(
        host: String,
        port: Int,
        username: String,
        password: String? = nil,
        database: String,
        timeout: Duration = .seconds(10),
        logger: Logger
    ) async throws -> PostgresStoreDatabase {
        var configuration = PostgresClient.Configuration(
            host: host,
            port: port,
            username: username,
            password: password,
            database: database,
            tls: .disable
        )
        configuration.options.connectTimeout = timeout
        let opened = PostgresStoreDatabase(
            client: PostgresClient(configuration: configuration, backgroundLogger: logger),
            logger: logger
        )
        do {
            // The pool retries a refused connection until asked to stop: the deadline asks.
            try await withDeadline(timeout) { try await opened.migrate() }
        } catch {
            await opened.close()
            throw ChatError(.unavailable, "PostgreSQL at \(host):\(port) cannot be used: \(Self.describe(error))")
        }
        return opened
    }

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
        running = Task { await client.run() }
    }

    /// Closes the pool's connections.
    public func close() async {
        running.cancel()
        await running.value
    }

    /// The schema, one step per version. A step is never edited once released: a change is a
    /// new step.
    static let migrations: [(version: Int, statements: [String])] = [
        (
            1,
            [
                """
                CREATE TABLE users(
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    username TEXT NOT NULL,
                    email TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL
                )
                """,
                // Names and addresses are unique whatever their case, as in SQLite's NOCASE.
                "CREATE UNIQUE INDEX users_username ON users(lower(username))",
                "CREATE UNIQUE INDEX users_email ON users(lower(email))",
                """
                CREATE TABLE sessions(
                    token_hash BYTEA PRIMARY KEY,
                    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    created_at_ms BIGINT NOT NULL,
                    expires_at_ms BIGINT NOT NULL
                )
                """,
                "CREATE INDEX sessions_by_user ON sessions(user_id)",
            ]
        ),
        (
            2,
            [
                """
                CREATE TABLE friend_requests(
                    from_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    to_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    message TEXT NOT NULL,
                    created_at_ms BIGINT NOT NULL,
                    PRIMARY KEY(from_id, to_id)
                )
                """,
                "CREATE INDEX friend_requests_to ON friend_requests(to_id)",
                // One row per direction, each with its own remark.
                """
                CREATE TABLE friendships(
                    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    friend_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    remark TEXT NOT NULL DEFAULT '',
                    since_ms BIGINT NOT NULL,
                    PRIMARY KEY(user_id, friend_id)
                )
                """,
                """
                CREATE TABLE blocks(
                    blocker_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    blocked_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    PRIMARY KEY(blocker_id, blocked_id)
                )
                """,
            ]
        ),
        (
            3,
            [
                // A conversation is the pair (user_lo < user_hi); last_seq numbers its messages.
                """
                CREATE TABLE conversations(
                    user_lo BIGINT NOT NULL,
                    user_hi BIGINT NOT NULL,
                    last_seq BIGINT NOT NULL,
                    last_message_id BIGINT NOT NULL,
                    PRIMARY KEY(user_lo, user_hi)
                )
                """,
                """
                CREATE TABLE messages(
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    user_lo BIGINT NOT NULL,
                    user_hi BIGINT NOT NULL,
                    seq BIGINT NOT NULL,
                    sender_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    recipient_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    client_msg_id TEXT NOT NULL,
                    text TEXT NOT NULL,
                    sent_at_ms BIGINT NOT NULL,
                    sender_update_id BIGINT NOT NULL,
                    recipient_update_id BIGINT NOT NULL,
                    UNIQUE(user_lo, user_hi, seq),
                    UNIQUE(sender_id, client_msg_id)
                )
                """,
                """
                CREATE TABLE read_marks(
                    user_id BIGINT NOT NULL,
                    peer_id BIGINT NOT NULL,
                    read_seq BIGINT NOT NULL,
                    PRIMARY KEY(user_id, peer_id)
                )
                """,
                // Each user's update log: gapless ids from 1, one row per message or read mark.
                """
                CREATE TABLE updates(
                    user_id BIGINT NOT NULL,
                    update_id BIGINT NOT NULL,
                    message_id BIGINT,
                    read_peer_id BIGINT,
                    read_seq BIGINT,
                    PRIMARY KEY(user_id, update_id)
                )
                """,
            ]
        ),
        (
            4,
            [
                // Usernames found by what they look like (`username(lookingLike:)` queries this
                // very expression; changing `AccountRules.skeletonSteps` needs a new step).
                "CREATE INDEX users_skeleton ON users ((\(PostgresUserStore.skeletonSQL)))"
            ]
        ),
        (5, ["ALTER TABLE users ADD COLUMN findable_by_email BOOLEAN NOT NULL DEFAULT false"]),
        (
            6,
            [
                // Groups, replies, recall, mute, read receipts: SQLite's v5. A group's history is a
                // conversation of its own in `messages` and `conversations`, keyed (user_lo = 0,
                // user_hi = group id): user ids start at 1, so no pair of users is ever (0, n), and
                // the group reuses the pair's seq, history and dedupe. Nothing is written per member
                // when a message is sent: unread counts and mentions are derived from the group's
                // seq and the member's row in group_members.
                "ALTER TABLE users ADD COLUMN sends_read_receipts BOOLEAN NOT NULL DEFAULT true",
                """
                ALTER TABLE messages
                    ADD COLUMN kind BIGINT NOT NULL DEFAULT 0,
                    ADD COLUMN mentions TEXT NOT NULL DEFAULT '',
                    ADD COLUMN mentions_all BOOLEAN NOT NULL DEFAULT false,
                    ADD COLUMN reply_to_seq BIGINT NOT NULL DEFAULT 0,
                    ADD COLUMN reply_to_sender_id BIGINT NOT NULL DEFAULT 0,
                    ADD COLUMN reply_excerpt TEXT NOT NULL DEFAULT '',
                    ADD COLUMN recalled BOOLEAN NOT NULL DEFAULT false,
                    ADD COLUMN recalled_seq BIGINT NOT NULL DEFAULT 0,
                    ADD COLUMN change_kind BIGINT NOT NULL DEFAULT 0,
                    ADD COLUMN change_user_ids TEXT NOT NULL DEFAULT '',
                    ADD COLUMN change_value TEXT NOT NULL DEFAULT ''
                """,
                // A group message's recipient is 0, which is no user.
                "ALTER TABLE messages DROP CONSTRAINT messages_recipient_id_fkey",
                "ALTER TABLE read_marks ADD COLUMN muted BOOLEAN NOT NULL DEFAULT false",
                """
                ALTER TABLE updates
                    ADD COLUMN group_id BIGINT,
                    ADD COLUMN kind BIGINT NOT NULL DEFAULT 0,
                    ADD COLUMN muted BOOLEAN
                """,
                """
                CREATE TABLE groups(
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    name TEXT NOT NULL,
                    announcement TEXT NOT NULL DEFAULT '',
                    owner_id BIGINT NOT NULL,
                    member_count BIGINT NOT NULL,
                    created_at_ms BIGINT NOT NULL
                )
                """,
                // One row per user who is or was in the group. They see its messages from
                // joined_seq (the line that added them), through left_seq once they leave.
                """
                CREATE TABLE group_members(
                    group_id BIGINT NOT NULL,
                    user_id BIGINT NOT NULL,
                    joined_seq BIGINT NOT NULL,
                    left_seq BIGINT,
                    read_seq BIGINT NOT NULL DEFAULT 0,
                    muted BOOLEAN NOT NULL DEFAULT false,
                    joined_at_ms BIGINT NOT NULL,
                    PRIMARY KEY(group_id, user_id)
                )
                """,
                "CREATE INDEX group_members_by_user ON group_members(user_id, group_id)",
                // Who a group message mentions by name: one row per mention (at most
                // ProtocolLimits.maxMentions a message), not per member.
                """
                CREATE TABLE group_mentions(
                    user_id BIGINT NOT NULL,
                    group_id BIGINT NOT NULL,
                    seq BIGINT NOT NULL,
                    PRIMARY KEY(user_id, group_id, seq)
                )
                """,
            ]
        ),
        (
            7,
            [
                // One-to-one messages stopped making update-log rows: a device follows each
                // conversation by its seq and checks its positions' sum against
                // `directSeqSum` in every heartbeat, which finds a user's conversations from both
                // ends of the pair. Rows logged before stay and are replayed as they were.
                "CREATE INDEX conversations_by_hi ON conversations(user_hi, user_lo)",
                """
                ALTER TABLE messages ALTER COLUMN sender_update_id SET DEFAULT 0,
                                     ALTER COLUMN recipient_update_id SET DEFAULT 0
                """,
            ]
        ),
    ]

    /// Applies the steps this database has not had, in one transaction under an advisory lock.
    func migrate() async throws {
        try await client.withTransaction(logger: logger) { connection in
            // Any number unique to this schema: processes starting together queue here.
            try await connection.query("SELECT pg_advisory_xact_lock(7216001)", logger: logger)
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations(version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                logger: logger
            )
            var applied: Set<Int> = []
            for try await version in try await connection.query("SELECT version FROM schema_migrations", logger: logger)
                .decode(Int.self)
            {
                applied.insert(version)
            }
            guard let newest = Self.migrations.last?.version else { return }
            if let future = applied.max(), future > newest {
                throw ChatError(
                    .internalError,
                    "the database has schema version \(future), newer than this server's \(newest): run the newer server"
                )
            }
            for migration in Self.migrations where !applied.contains(migration.version) {
                for statement in migration.statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO schema_migrations(version) VALUES (\(migration.version))",
                    logger: logger
                )
                logger.notice("database migrated", metadata: ["version": "\(migration.version)"])
            }
        }
    }

    /// Whether `error` is PostgreSQL refusing a duplicate; the constraint's name if so.
    static func uniqueViolation(_ error: any Error) -> String?? {
        guard let error = unwrapped(error) as? PSQLError, error.serverInfo?[.sqlState] == "23505" else { return nil }
        return .some(error.serverInfo?[.constraintName])
    }

    /// A database error in words, without the query's values.
    static func describe(_ error: any Error) -> String {
        let error = unwrapped(error)
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return message }
            return "\(error.code)"
        }
        if let error = error as? ChatError { return error.message }
        if let error = error as? DeadlineExceeded { return error.description }
        return "\(error)"
    }
}
