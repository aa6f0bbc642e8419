import ChatProtocol

/// Ends a user's live sessions wherever they are: what a password reset needs once it has
/// revoked every token, and a sign-out once it has revoked one.
///
/// In one process it reaches each chat server directly; split across processes, an
/// implementation tells every chat node (through the status service's registry) to close the
/// user's connections.
public protocol SessionControl: Sendable {
    /// Closes the live connections the order names on every chat server, telling each why.
    func disconnectEverywhere(_ order: DisconnectOrder) async
}
