import ChatServices
import Foundation
import GRDB

public struct SQLiteSessionStore: SessionStore {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func insertSession(tokenHash: [UInt8], userID: UserID, createdAtMs: Int64, expiresAtMs: Int64) async throws {
        try await database.pool.write { db in
            // Expired sessions are swept as new ones arrive, so the table stays small without a timer.
            try db.execute(
                sql: "DELETE FROM sessions WHERE user_id = ? AND expires_at_ms <= ?",
                arguments: [userID, createdAtMs]
            )
            try db.execute(
                sql: "INSERT INTO sessions(token_hash, user_id, created_at_ms, expires_at_ms) VALUES (?, ?, ?, ?)",
                arguments: [Data(tokenHash), userID, createdAtMs, expiresAtMs]
            )
            try db.execute(
                sql: """
                    DELETE FROM sessions WHERE user_id = ?1 AND token_hash NOT IN (
                        SELECT token_hash FROM sessions WHERE user_id = ?1
                        ORDER BY created_at_ms DESC, token_hash = ?2 DESC LIMIT ?3
                    )
                    """,
                arguments: [userID, Data(tokenHash), SessionTokens.maxSessionsPerUser]
            )
        }
    }

    public func liveSession(tokenHash: [UInt8], nowMs: Int64) async throws -> (userID: UserID, expiresAtMs: Int64)? {
        // What every connection's Hello reads first.
        try database.readSingleStatement { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT user_id, expires_at_ms FROM sessions WHERE token_hash = ? AND expires_at_ms > ?"
                ),
                arguments: [Data(tokenHash), nowMs]
            ).map { (userID: $0[0], expiresAtMs: $0[1]) }
        }
    }

    public func deleteSession(tokenHash: [UInt8]) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE token_hash = ?", arguments: [Data(tokenHash)])
            return db.changesCount > 0
        }
    }

    public func deleteSessions(userID: UserID) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE user_id = ?", arguments: [userID])
        }
    }
}
