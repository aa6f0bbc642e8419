import ChatServices
import PostgresNIO

/// `SocialStore` on PostgreSQL: friend requests, friendships (one row per direction, each with
/// its own remark) and blocks, with the SQLite store's rules.
public struct PostgresSocialStore: SocialStore {
    let database: PostgresStoreDatabase

    public init(database: PostgresStoreDatabase) {
        self.database = database
    }

    private var logger: Logger { database.logger }

    public func upsertRequest(_ request: FriendRequestRecord) async throws {
        try await database.query(Self.upsert(request))
    }

    /// Creates or refreshes a request: one statement, run alone or in `sendRequest`'s transaction.
    private static func upsert(_ request: FriendRequestRecord) -> PostgresQuery {
        """
        INSERT INTO friend_requests(from_id, to_id, message, created_at_ms)
        VALUES (\(request.fromID), \(request.toID), \(request.message), \(request.createdAtMs))
        ON CONFLICT (from_id, to_id) DO UPDATE SET message = excluded.message, created_at_ms = excluded.created_at_ms
        """
    }

    public func sendRequest(_ request: FriendRequestRecord) async throws -> FriendRequestOutcome {
        let logger = self.logger
        return try await database.withTransaction { connection in
            // Both people's rows locked, in id order: the other person's request, sent at the same
            // instant, waits here and then sees this one. NO KEY UPDATE, not UPDATE: it does not
            // conflict with the key-share locks foreign-key checks take (a block or a session
            // inserted meanwhile neither waits nor deadlocks).
            let (lo, hi) = (min(request.fromID, request.toID), max(request.fromID, request.toID))
            try await connection.query(
                "SELECT id FROM users WHERE id IN (\(lo), \(hi)) ORDER BY id FOR NO KEY UPDATE",
                logger: logger
            ).hasAnyRow()
            let friends = try await connection.query(
                "SELECT 1 FROM friendships WHERE user_id = \(request.fromID) AND friend_id = \(request.toID)",
                logger: logger
            ).hasAnyRow()
            if friends { return .alreadyFriends }
            let askedFirst = try await connection.query(
                "SELECT 1 FROM friend_requests WHERE from_id = \(request.toID) AND to_id = \(request.fromID)",
                logger: logger
            ).hasAnyRow()
            if askedFirst {
                try await Self.makeFriends(
                    request.fromID,
                    request.toID,
                    nowMs: request.createdAtMs,
                    on: connection,
                    logger
                )
                return .befriended
            }
            try await connection.query(Self.upsert(request), logger: logger)
            return .requested
        }
    }

    public func request(from: UserID, to: UserID) async throws -> FriendRequestRecord? {
        try await requests(
            database.query(
                "SELECT \(unescaped: Self.requestColumns) FROM friend_requests WHERE from_id = \(from) AND to_id = \(to)"
            )
        ).first
    }

    public func deleteRequest(from: UserID, to: UserID) async throws -> Bool {
        try await any(
            database.query(
                "DELETE FROM friend_requests WHERE from_id = \(from) AND to_id = \(to) RETURNING from_id"
            )
        )
    }

    /// Requests from people the user blocked are left out in the query (see SQLiteSocialStore).
    private static let visibleIncoming = """
        FROM friend_requests r WHERE r.to_id = $1
        AND NOT EXISTS(SELECT 1 FROM blocks b WHERE b.blocker_id = r.to_id AND b.blocked_id = r.from_id)
        """

    public func incomingRequests(of user: UserID, limit: Int) async throws -> [FriendRequestRecord] {
        var query = PostgresQuery(
            unsafeSQL: "SELECT \(Self.requestColumns) \(Self.visibleIncoming) ORDER BY r.created_at_ms DESC LIMIT $2"
        )
        query.binds.append(user)
        query.binds.append(Int64(limit))
        return try await requests(database.query(query))
    }

    public func incomingRequestCount(of user: UserID) async throws -> Int {
        var query = PostgresQuery(unsafeSQL: "SELECT count(*) \(Self.visibleIncoming)")
        query.binds.append(user)
        for try await count in try await database.query(query).decode(Int64.self) { return Int(count) }
        return 0
    }

    public func outgoingRequests(of user: UserID) async throws -> [FriendRequestRecord] {
        try await requests(
            database.query(
                """
                SELECT \(unescaped: Self.requestColumns) FROM friend_requests WHERE from_id = \(user)
                ORDER BY created_at_ms DESC
                """
            )
        )
    }

    public func makeFriends(_ a: UserID, _ b: UserID, nowMs: Int64) async throws {
        let logger = self.logger
        try await database.withTransaction { connection in
            try await Self.makeFriends(a, b, nowMs: nowMs, on: connection, logger)
        }
    }

    private static func makeFriends(
        _ a: UserID,
        _ b: UserID,
        nowMs: Int64,
        on connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        for (user, friend) in [(a, b), (b, a)] {
            try await connection.query(
                """
                INSERT INTO friendships(user_id, friend_id, since_ms) VALUES (\(user), \(friend), \(nowMs))
                ON CONFLICT DO NOTHING
                """,
                logger: logger
            )
            try await connection.query(
                "DELETE FROM friend_requests WHERE from_id = \(user) AND to_id = \(friend)",
                logger: logger
            )
        }
    }

    public func removeFriendship(_ a: UserID, _ b: UserID) async throws -> Bool {
        try await any(
            database.query(
                """
                DELETE FROM friendships
                WHERE (user_id = \(a) AND friend_id = \(b)) OR (user_id = \(b) AND friend_id = \(a))
                RETURNING user_id
                """
            )
        )
    }

    public func areFriends(_ a: UserID, _ b: UserID) async throws -> Bool {
        try await any(
            database.query("SELECT 1 FROM friendships WHERE user_id = \(a) AND friend_id = \(b)")
        )
    }

    public func friends(of user: UserID) async throws -> [FriendshipRecord] {
        let rows = try await database.query(
            """
            SELECT f.friend_id, f.remark, f.since_ms,
                   EXISTS(SELECT 1 FROM blocks b WHERE b.blocker_id = f.user_id AND b.blocked_id = f.friend_id),
                   EXISTS(SELECT 1 FROM blocks b WHERE b.blocker_id = f.friend_id AND b.blocked_id = f.user_id)
            FROM friendships f WHERE f.user_id = \(user)
            """
        )
        var friends: [FriendshipRecord] = []
        for try await (friend, remark, since, blocked, blocksMe) in rows.decode((Int64, String, Int64, Bool, Bool).self)
        {
            friends.append(
                FriendshipRecord(
                    friendID: friend,
                    remark: remark,
                    sinceMs: since,
                    blockedByMe: blocked,
                    blocksMe: blocksMe
                )
            )
        }
        return friends
    }

    public func friendIDs(of user: UserID) async throws -> [UserID] {
        let rows = try await database.query("SELECT friend_id FROM friendships WHERE user_id = \(user)")
        var ids: [UserID] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids
    }

    public func setRemark(user: UserID, friend: UserID, remark: String) async throws -> Bool {
        try await any(
            database.query(
                """
                UPDATE friendships SET remark = \(remark) WHERE user_id = \(user) AND friend_id = \(friend)
                RETURNING user_id
                """
            )
        )
    }

    public func setBlocked(blocker: UserID, blocked: UserID, _ isBlocked: Bool) async throws {
        if isBlocked {
            try await database.query(
                "INSERT INTO blocks(blocker_id, blocked_id) VALUES (\(blocker), \(blocked)) ON CONFLICT DO NOTHING"
            )
        } else {
            try await database.query(
                "DELETE FROM blocks WHERE blocker_id = \(blocker) AND blocked_id = \(blocked)"
            )
        }
    }

    public func isBlockedEitherWay(_ a: UserID, _ b: UserID) async throws -> Bool {
        try await any(
            database.query(
                """
                SELECT 1 FROM blocks
                WHERE (blocker_id = \(a) AND blocked_id = \(b)) OR (blocker_id = \(b) AND blocked_id = \(a))
                """
            )
        )
    }

    public func hasBlocked(_ blocker: UserID, _ blocked: UserID) async throws -> Bool {
        try await any(
            database.query("SELECT 1 FROM blocks WHERE blocker_id = \(blocker) AND blocked_id = \(blocked)")
        )
    }

    // MARK: Rows

    private static let requestColumns = "from_id, to_id, message, created_at_ms"

    private func requests(_ rows: PostgresRowSequence) async throws -> [FriendRequestRecord] {
        var requests: [FriendRequestRecord] = []
        for try await (from, to, message, created) in rows.decode((Int64, Int64, String, Int64).self) {
            requests.append(FriendRequestRecord(fromID: from, toID: to, message: message, createdAtMs: created))
        }
        return requests
    }

    private func any(_ rows: PostgresRowSequence) async throws -> Bool {
        try await rows.hasAnyRow()
    }
}
