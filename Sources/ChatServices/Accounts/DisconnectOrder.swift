import ChatProtocol

/// Close a user's live connections on every chat server: all of them (a password reset) or one
/// session's (a sign-out), telling each connection why.
public struct DisconnectOrder: Sendable, Equatable {
    public var user: UserID
    /// `LiveSession.sessionID`; nil for every session of the user.
    public var session: String?
    public var reason: ChatError

    public init(user: UserID, session: String? = nil, reason: ChatError) {
        self.user = user
        self.session = session
        self.reason = reason
    }
}
