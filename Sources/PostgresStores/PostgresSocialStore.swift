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
        try await database.query(
            """
            INSERT INTO friend_requests(from_id, to_id, message, created_at_ms)
            VALUES (\(request.fromID), \(request.toID), \(request.message), \(request.createdAtMs))
            ON CONFLICT (from_id, to_id) DO UPDATE SET message = excluded.message, created_at_ms = excluded.created_at_ms
            """
        )
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

    public func incomingRequests(of user: UserID) async throws -> [FriendRequestRecord] {
        try await requests(
            database.query(
                """
                SELECT \(unescaped: Self.requestColumns) FROM friend_requests WHERE to_id = \(user)
                ORDER BY created_at_ms DESC
                """
            )
        )
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
        try await database.withTransaction { connection in
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
                   EXISTS(SELECT 1 FROM blocks b WHERE b.blocker_id = f.user_id AND b.blocked_id = f.friend_id)
            FROM friendships f WHERE f.user_id = \(user)
            """
        )
        var friends: [FriendshipRecord] = []
        for try await (friend, remark, since, blocked) in rows.decode((Int64, String, Int64, Bool).self) {
            friends.append(FriendshipRecord(friendID: friend, remark: remark, sinceMs: since, blockedByMe: blocked))
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
