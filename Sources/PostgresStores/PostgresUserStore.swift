import ChatProtocol
import ChatServices
import NIOCore
import PostgresNIO

/// `UserStore` on PostgreSQL: the same rules as `SQLiteUserStore` (names and addresses unique
/// whatever their case; search by name prefix or exact address, wildcards taken literally).
public struct PostgresUserStore: UserStore {
    let database: PostgresStoreDatabase

    public init(database: PostgresStoreDatabase) {
        self.database = database
    }

    private var logger: Logger { database.logger }

    public func createUser(
        username: String,
        email: String,
        passwordHash: String,
        nowMs: Int64
    ) async throws -> UserRecord {
        do {
            let rows = try await database.query(
                """
                INSERT INTO users(username, email, password_hash, created_at_ms)
                VALUES (\(username), \(email), \(passwordHash), \(nowMs)) RETURNING id
                """
            )
            for try await id in rows.decode(Int64.self) {
                return UserRecord(
                    id: id,
                    username: username,
                    email: email,
                    passwordHash: passwordHash,
                    createdAtMs: nowMs
                )
            }
            throw ChatError(.internalError, "The new account was not stored.")
        } catch {
            guard let constraint = PostgresStoreDatabase.uniqueViolation(error) else { throw error }
            if constraint == "users_username" {
                throw ChatError(.usernameTaken, "The username '\(username)' is already taken.")
            }
            throw ChatError(.emailTaken, "An account with this email already exists.")
        }
    }

    public func user(id: UserID) async throws -> UserRecord? {
        try await records(database.query("SELECT \(unescaped: Self.columns) FROM users WHERE id = \(id)"))
            .first
    }

    public func users(ids: [UserID]) async throws -> [UserID: UserRecord] {
        guard !ids.isEmpty else { return [:] }
        let found = try await records(
            database.query("SELECT \(unescaped: Self.columns) FROM users WHERE id = ANY(\(ids))")
        )
        return Dictionary(uniqueKeysWithValues: found.map { ($0.id, $0) })
    }

    public func user(account: String) async throws -> UserRecord? {
        try await records(
            database.query(
                """
                SELECT \(unescaped: Self.columns) FROM users
                WHERE lower(username) = lower(\(account)) OR lower(email) = lower(\(account)) LIMIT 1
                """
            )
        ).first
    }

    /// The indexed expression `username(lookingLike:)` compares (migration 4 creates the index).
    static let skeletonSQL = AccountRules.usernameSkeletonSQL(lowercased: #"lower(username COLLATE "C")"#)

    public func username(lookingLike username: String) async throws -> String? {
        let rows = try await database.query(
            "SELECT username FROM users WHERE \(unescaped: Self.skeletonSQL) = \(AccountRules.usernameSkeleton(username)) LIMIT 1"
        )
        for try await name in rows.decode(String.self) { return name }
        return nil
    }

    public func usernameExists(_ username: String) async throws -> Bool {
        try await database.query("SELECT 1 FROM users WHERE lower(username) = lower(\(username))")
            .hasAnyRow()
    }

    public func emailExists(_ email: String) async throws -> Bool {
        try await database.query("SELECT 1 FROM users WHERE lower(email) = lower(\(email))").hasAnyRow()
    }

    public func updatePasswordHash(userID: UserID, hash: String) async throws {
        try await database.query("UPDATE users SET password_hash = \(hash) WHERE id = \(userID)")
    }

    public func searchUsers(query: String, limit: Int) async throws -> [UserRecord] {
        // LIKE wildcards in the query are escaped: a search for "a_b" finds "a_b", not "axb".
        let pattern =
            query.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
        return try await records(
            database.query(
                """
                SELECT \(unescaped: Self.columns) FROM users
                WHERE lower(username) LIKE lower(\(pattern)) ESCAPE '\\'
                   OR (lower(email) = lower(\(query)) AND findable_by_email)
                ORDER BY length(username), username LIMIT \(limit)
                """
            )
        )
    }

    public func setFindableByEmail(userID: UserID, _ findable: Bool) async throws {
        try await database.query("UPDATE users SET findable_by_email = \(findable) WHERE id = \(userID)")
    }

    public func isFindableByEmail(userID: UserID) async throws -> Bool {
        let rows = try await database.query("SELECT findable_by_email FROM users WHERE id = \(userID)")
        for try await findable in rows.decode(Bool.self) { return findable }
        return false
    }

    public func setSendsReadReceipts(userID: UserID, _ sends: Bool) async throws {
        try await database.query("UPDATE users SET sends_read_receipts = \(sends) WHERE id = \(userID)")
    }

    public func sendsReadReceipts(userID: UserID) async throws -> Bool {
        let rows = try await database.query("SELECT sends_read_receipts FROM users WHERE id = \(userID)")
        for try await sends in rows.decode(Bool.self) { return sends }
        return true
    }

    // MARK: Rows

    /// The columns `records` decodes, in its order.
    private static let columns = "id, username, email, password_hash, created_at_ms"

    private func records(_ rows: PostgresRowSequence) async throws -> [UserRecord] {
        var records: [UserRecord] = []
        for try await (id, username, email, hash, created) in rows.decode((Int64, String, String, String, Int64).self) {
            records.append(
                UserRecord(id: id, username: username, email: email, passwordHash: hash, createdAtMs: created)
            )
        }
        return records
    }
}
