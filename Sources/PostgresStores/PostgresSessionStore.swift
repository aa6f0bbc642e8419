import ChatServices
import NIOCore
import PostgresNIO

/// `SessionStore` on PostgreSQL: token hashes only, so the sessions outlive any process, and a
/// Redis flush signs nobody out.
public struct PostgresSessionStore: SessionStore {
    let database: PostgresStoreDatabase

    public init(database: PostgresStoreDatabase) {
        self.database = database
    }

    private var logger: Logger { database.logger }

    public func insertSession(tokenHash: [UInt8], userID: UserID, createdAtMs: Int64, expiresAtMs: Int64) async throws {
        try await database.withTransaction { connection in
            // Expired sessions are swept as new ones arrive, so the table stays small without a timer.
            try await connection.query(
                "DELETE FROM sessions WHERE user_id = \(userID) AND expires_at_ms <= \(createdAtMs)",
                logger: logger
            )
            try await connection.query(
                """
                INSERT INTO sessions(token_hash, user_id, created_at_ms, expires_at_ms)
                VALUES (\(ByteBuffer(bytes: tokenHash)), \(userID), \(createdAtMs), \(expiresAtMs))
                """,
                logger: logger
            )
            try await connection.query(
                """
                DELETE FROM sessions WHERE user_id = \(userID) AND token_hash NOT IN (
                    SELECT token_hash FROM sessions WHERE user_id = \(userID)
                    ORDER BY created_at_ms DESC, token_hash = \(ByteBuffer(bytes: tokenHash)) DESC
                    LIMIT \(SessionTokens.maxSessionsPerUser)
                )
                """,
                logger: logger
            )
        }
    }

    public func liveSession(tokenHash: [UInt8], nowMs: Int64) async throws -> (userID: UserID, expiresAtMs: Int64)? {
        let rows = try await database.query(
            """
            SELECT user_id, expires_at_ms FROM sessions
            WHERE token_hash = \(ByteBuffer(bytes: tokenHash)) AND expires_at_ms > \(nowMs)
            """
        )
        for try await (user, expires) in rows.decode((Int64, Int64).self) { return (user, expires) }
        return nil
    }

    public func deleteSession(tokenHash: [UInt8]) async throws -> Bool {
        try await database.query(
            "DELETE FROM sessions WHERE token_hash = \(ByteBuffer(bytes: tokenHash)) RETURNING user_id"
        ).hasAnyRow()
    }

    public func deleteSessions(userID: UserID) async throws {
        try await database.query("DELETE FROM sessions WHERE user_id = \(userID)")
    }
}
