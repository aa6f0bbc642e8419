import ChatProtocol
import Crypto
import Foundation

/// Session tokens as every status service makes and checks them: 32 random bytes in URL-safe
/// base64, kept in the `SessionStore` only as their SHA-256, so whoever reads the store (or a
/// backup of it) holds nothing that signs anyone in.
public enum SessionTokens {
    /// Tokens longer than this are refused before hashing: nothing we issue is that long.
    static let maxLength = 128
    /// Live sessions one user may have; a sign-in past it ends the oldest (the stores drop it
    /// as the new one is inserted). Without a cap, a script signing in in a loop grew the
    /// sessions table by a row per sign-in.
    public static let maxSessionsPerUser = 32

    public static func issue(
        for user: UserID,
        in sessions: SessionStore,
        lifetimeSeconds: Int64,
        nowMs: Int64
    ) async throws -> IssuedToken {
        var bytes = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for i in bytes.indices { bytes[i] = generator.next() }
        let token = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let expires = nowMs + lifetimeSeconds * 1000
        try await sessions.insertSession(tokenHash: hash(token), userID: user, createdAtMs: nowMs, expiresAtMs: expires)
        return IssuedToken(token: token, userID: user, expiresAtMs: expires)
    }

    /// The token is looked up by its SHA-256, never compared as a secret: the store sees only
    /// hashes, so lookup timing reveals nothing about a valid token.
    public static func authenticate(
        _ token: String,
        in sessions: SessionStore,
        nowMs: Int64
    ) async throws -> LiveSession {
        guard !token.isEmpty, token.utf8.count <= maxLength,
            let live = try await sessions.liveSession(tokenHash: hash(token), nowMs: nowMs)
        else {
            throw ChatError(.invalidToken, "Your session has expired or was signed out. Please sign in again.")
        }
        return LiveSession(userID: live.userID, sessionID: sessionID(of: token), expiresAtMs: live.expiresAtMs)
    }

    /// Names a session without being its secret: the first 16 bytes of the token's SHA-256, in
    /// hex. Chat servers keep it per connection; disconnect orders carry it.
    public static func sessionID(of token: String) -> String {
        hash(token).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    /// Returns whether the token was live.
    public static func revoke(_ token: String, in sessions: SessionStore) async throws -> Bool {
        guard token.utf8.count <= maxLength else { return false }
        return try await sessions.deleteSession(tokenHash: hash(token))
    }

    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(token.utf8)))
    }
}
