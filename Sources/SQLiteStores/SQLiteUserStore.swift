import ChatProtocol
import ChatServices
import Foundation
import GRDB

public struct SQLiteUserStore: UserStore {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func createUser(
        username: String,
        email: String,
        passwordHash: String,
        nowMs: Int64
    ) async throws -> UserRecord {
        do {
            return try await database.pool.write { db in
                try db.execute(
                    sql: "INSERT INTO users(username, email, password_hash, created_at_ms) VALUES (?, ?, ?, ?)",
                    arguments: [username, email, passwordHash, nowMs]
                )
                return UserRecord(
                    id: db.lastInsertedRowID,
                    username: username,
                    email: email,
                    passwordHash: passwordHash,
                    createdAtMs: nowMs
                )
            }
        } catch  where SQLiteDatabase.isUniqueViolation(error) {
            if try await usernameExists(username) {
                throw ChatError(.usernameTaken, "The username '\(username)' is already taken.")
            }
            throw ChatError(.emailTaken, "An account with this email already exists.")
        }
    }

    public func user(id: UserID) async throws -> UserRecord? {
        // Read on every Hello.
        try database.readSingleStatement { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM users WHERE id = ?"), arguments: [id]).map(
                Self.record
            )
        }
    }

    public func users(ids: [UserID]) async throws -> [UserID: UserRecord] {
        guard !ids.isEmpty else { return [:] }
        return try database.read { db in
            let placeholders = databaseQuestionMarks(count: ids.count)
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM users WHERE id IN (\(placeholders))",
                arguments: StatementArguments(ids)
            )
            return Dictionary(uniqueKeysWithValues: rows.map { row in (row["id"] as Int64, Self.record(row)) })
        }
    }

    public func user(account: String) async throws -> UserRecord? {
        try database.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT * FROM users WHERE username = ? OR email = ? LIMIT 1",
                arguments: [account, account]
            )
            .map(Self.record)
        }
    }

    public func username(lookingLike username: String) async throws -> String? {
        try database.read { db in
            try String.fetchOne(
                db,
                sql: "SELECT username FROM users WHERE \(AccountRules.usernameSkeletonSQL()) = ? LIMIT 1",
                arguments: [AccountRules.usernameSkeleton(username)]
            )
        }
    }

    public func usernameExists(_ username: String) async throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM users WHERE username = ?)", arguments: [username])
                ?? false
        }
    }

    public func emailExists(_ email: String) async throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM users WHERE email = ?)", arguments: [email])
                ?? false
        }
    }

    public func updatePasswordHash(userID: UserID, hash: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE users SET password_hash = ? WHERE id = ?", arguments: [hash, userID])
        }
    }

    public func searchUsers(query: String, limit: Int) async throws -> [UserRecord] {
        // LIKE wildcards in the query are escaped: a search for "a_b" finds "a_b", not "axb".
        let escaped = query.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
        // A scan: on GRDB's threads, not the caller's (see SQLiteDatabase.read).
        return try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM users WHERE username LIKE ? ESCAPE '\\' OR (email = ? AND findable_by_email)
                    ORDER BY length(username), username LIMIT ?
                    """,
                arguments: [escaped + "%", query, limit]
            ).map(Self.record)
        }
    }

    public func setFindableByEmail(userID: UserID, _ findable: Bool) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE users SET findable_by_email = ? WHERE id = ?", arguments: [findable, userID])
        }
    }

    public func isFindableByEmail(userID: UserID) async throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT findable_by_email FROM users WHERE id = ?", arguments: [userID]) ?? false
        }
    }

    public func setSendsReadReceipts(userID: UserID, _ sends: Bool) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE users SET sends_read_receipts = ? WHERE id = ?", arguments: [sends, userID])
        }
    }

    public func sendsReadReceipts(userID: UserID) async throws -> Bool {
        try database.read { db in
            try Bool.fetchOne(db, sql: "SELECT sends_read_receipts FROM users WHERE id = ?", arguments: [userID])
                ?? true
        }
    }

    static func record(_ row: Row) -> UserRecord {
        UserRecord(
            id: row["id"],
            username: row["username"],
            email: row["email"],
            passwordHash: row["password_hash"],
            createdAtMs: row["created_at_ms"]
        )
    }
}
