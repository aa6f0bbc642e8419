import ChatProtocol

/// A signed-in session as the status service knows it: whose it is, which one (so one sign-out
/// can close exactly its connections), and when it ends (a chat server closes the connection
/// then; a token is not good for longer just because its connection stayed open).
public struct LiveSession: Sendable, Equatable {
    public var userID: UserID
    /// `SessionTokens.sessionID` of the token: names the session without being the secret.
    public var sessionID: String
    public var expiresAtMs: Int64

    public init(userID: UserID, sessionID: String, expiresAtMs: Int64) {
        self.userID = userID
        self.sessionID = sessionID
        self.expiresAtMs = expiresAtMs
    }
}
