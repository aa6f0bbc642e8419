import ChatServices
import GRDB

public struct SQLiteSocialStore: SocialStore {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func upsertRequest(_ request: FriendRequestRecord) async throws {
        try await database.pool.write { db in try Self.upsertRequest(request, in: db) }
    }

    static func upsertRequest(_ request: FriendRequestRecord, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO friend_requests(from_id, to_id, message, created_at_ms) VALUES (?, ?, ?, ?)
                ON CONFLICT(from_id, to_id) DO UPDATE SET message = excluded.message, created_at_ms = excluded.created_at_ms
                """,
            arguments: [request.fromID, request.toID, request.message, request.createdAtMs]
        )
    }

    public func sendRequest(_ request: FriendRequestRecord) async throws -> FriendRequestOutcome {
        // One write transaction: SQLite has one writer, so the check and the change cannot
        // interleave with the other person's request.
        try await database.pool.write { db in
            let friends =
                try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS(SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?)",
                    arguments: [request.fromID, request.toID]
                ) ?? false
            if friends { return .alreadyFriends }
            let askedFirst =
                try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS(SELECT 1 FROM friend_requests WHERE from_id = ? AND to_id = ?)",
                    arguments: [request.toID, request.fromID]
                ) ?? false
            if askedFirst {
                try Self.makeFriends(request.fromID, request.toID, nowMs: request.createdAtMs, in: db)
                return .befriended
            }
            try Self.upsertRequest(request, in: db)
            return .requested
        }
    }

    public func request(from: UserID, to: UserID) async throws -> FriendRequestRecord? {
        try database.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM friend_requests WHERE from_id = ? AND to_id = ?",
                arguments: [from, to]
            )
            .map(Self.request)
        }
    }

    public func deleteRequest(from: UserID, to: UserID) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM friend_requests WHERE from_id = ? AND to_id = ?", arguments: [from, to])
            return db.changesCount > 0
        }
    }

    /// Requests from people the user blocked are left out here, in the query, rather than one
    /// block lookup per request after it.
    static let visibleIncoming = """
        FROM friend_requests r WHERE r.to_id = ?
        AND NOT EXISTS(SELECT 1 FROM blocks b WHERE b.blocker_id = r.to_id AND b.blocked_id = r.from_id)
        """

    public func incomingRequests(of user: UserID, limit: Int) async throws -> [FriendRequestRecord] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT r.* \(Self.visibleIncoming) ORDER BY r.created_at_ms DESC LIMIT ?",
                arguments: [user, limit]
            )
            .map(Self.request)
        }
    }

    public func incomingRequestCount(of user: UserID) async throws -> Int {
        try database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) \(Self.visibleIncoming)", arguments: [user]) ?? 0
        }
    }

    public func outgoingRequests(of user: UserID) async throws -> [FriendRequestRecord] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM friend_requests WHERE from_id = ? ORDER BY created_at_ms DESC",
                arguments: [user]
            )
            .map(Self.request)
        }
    }

    public func makeFriends(_ a: UserID, _ b: UserID, nowMs: Int64) async throws {
        try await database.pool.write { db in try Self.makeFriends(a, b, nowMs: nowMs, in: db) }
    }

    static func makeFriends(_ a: UserID, _ b: UserID, nowMs: Int64, in db: Database) throws {
        for (user, friend) in [(a, b), (b, a)] {
            try db.execute(
                sql: "INSERT OR IGNORE INTO friendships(user_id, friend_id, since_ms) VALUES (?, ?, ?)",
                arguments: [user, friend, nowMs]
            )
            try db.execute(
                sql: "DELETE FROM friend_requests WHERE from_id = ? AND to_id = ?",
                arguments: [user, friend]
            )
        }
    }

    public func removeFriendship(_ a: UserID, _ b: UserID) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(
                sql: "DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)",
                arguments: [a, b, b, a]
            )
            return db.changesCount > 0
        }
    }

    public func areFriends(_ a: UserID, _ b: UserID) async throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS(SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?)",
                arguments: [a, b]
            ) ?? false
        }
    }

    public func friends(of user: UserID) async throws -> [FriendshipRecord] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT f.friend_id, f.remark, f.since_ms,
                           EXISTS(SELECT 1 FROM blocks b WHERE b.blocker_id = f.user_id AND b.blocked_id = f.friend_id) AS blocked,
                           EXISTS(SELECT 1 FROM blocks b WHERE b.blocker_id = f.friend_id AND b.blocked_id = f.user_id) AS blocks_me
                    FROM friendships f WHERE f.user_id = ?
                    """,
                arguments: [user]
            ).map { row in
                FriendshipRecord(
                    friendID: row["friend_id"],
                    remark: row["remark"],
                    sinceMs: row["since_ms"],
                    blockedByMe: row["blocked"],
                    blocksMe: row["blocks_me"]
                )
            }
        }
    }

    public func friendIDs(of user: UserID) async throws -> [UserID] {
        // Read whenever someone comes online or goes offline.
        try database.readSingleStatement { db in
            try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT friend_id FROM friendships WHERE user_id = ?"),
                arguments: [user]
            )
        }
    }

    public func setRemark(user: UserID, friend: UserID, remark: String) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE friendships SET remark = ? WHERE user_id = ? AND friend_id = ?",
                arguments: [remark, user, friend]
            )
            return db.changesCount > 0
        }
    }

    public func setBlocked(blocker: UserID, blocked: UserID, _ isBlocked: Bool) async throws {
        try await database.pool.write { db in
            if isBlocked {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO blocks(blocker_id, blocked_id) VALUES (?, ?)",
                    arguments: [blocker, blocked]
                )
            } else {
                try db.execute(
                    sql: "DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?",
                    arguments: [blocker, blocked]
                )
            }
        }
    }

    public func isBlockedEitherWay(_ a: UserID, _ b: UserID) async throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(
                db,
                sql: """
                    SELECT EXISTS(SELECT 1 FROM blocks WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?))
                    """,
                arguments: [a, b, b, a]
            ) ?? false
        }
    }

    public func hasBlocked(_ blocker: UserID, _ blocked: UserID) async throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT EXISTS(SELECT 1 FROM blocks WHERE blocker_id = ? AND blocked_id = ?)",
                arguments: [blocker, blocked]
            ) ?? false
        }
    }

    static func request(_ row: Row) -> FriendRequestRecord {
        FriendRequestRecord(
            fromID: row["from_id"],
            toID: row["to_id"],
            message: row["message"],
            createdAtMs: row["created_at_ms"]
        )
    }
}
