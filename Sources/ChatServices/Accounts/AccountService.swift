import ChatProtocol

/// Sign-up, sign-in and password reset: what the gate does on behalf of a person, using the
/// verify and status services and the user store.
///
/// Speaks its own types, not the gate's JSON ones (`GateAPI`): the gate translates, and a gRPC
/// front for the same service would translate in its own way.
///
/// `client` is the caller's network address as the gate saw it: limits on code mails and failed
/// sign-ins count per address as well as per account.
public protocol AccountService: Sendable {
    func sendCode(email: String, purpose: CodePurpose, client: String) async throws
    /// Returns the new user's id.
    func register(username: String, email: String, password: String, code: String) async throws -> UserID
    func signIn(account: String, password: String, client: String) async throws -> SignedIn
    func signOut(token: String) async throws
    func resetPassword(email: String, code: String, newPassword: String) async throws
    /// The user a token belongs to, and the chat server they should connect to now.
    /// `client` is the caller's address: lookups are limited per address (a token guesser or a
    /// reconnect storm gets `rate_limited`, not the status service's attention).
    func chatServer(forToken token: String, client: String) async throws -> (user: UserID, chatServer: ChatServerInfo)
    /// Whether `username` could be signed up with now (taken, or reading like a taken name, it
    /// could not), so a form can say so before the code is spent. Limited per `client` address.
    func usernameAvailability(_ username: String, client: String) async throws -> UsernameAvailability
}
