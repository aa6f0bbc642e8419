/// Session tokens, kept only as SHA-256 hashes so a leaked database grants nobody a session.
/// Persistent (not ephemeral) so clients stay signed in across a server restart.
public protocol SessionStore: Sendable {
    /// Also removes the user's expired sessions, and the oldest past
    /// `SessionTokens.maxSessionsPerUser`.
    func insertSession(tokenHash: [UInt8], userID: UserID, createdAtMs: Int64, expiresAtMs: Int64) async throws
    /// The user of an unexpired session with this hash, and when it expires.
    func liveSession(tokenHash: [UInt8], nowMs: Int64) async throws -> (userID: UserID, expiresAtMs: Int64)?
    /// Returns whether a session was removed.
    func deleteSession(tokenHash: [UInt8]) async throws -> Bool
    func deleteSessions(userID: UserID) async throws
}
