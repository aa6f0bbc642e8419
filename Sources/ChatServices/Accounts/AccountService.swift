import ChatProtocol

/// Sign-up, sign-in and password reset: what the gate does on behalf of a person, using the
/// verify and status services and the user store.
///
/// `client` is the caller's network address as the gate saw it: limits on code mails and failed
/// sign-ins count per address as well as per account.
public protocol AccountService: Sendable {
    func sendCode(email: String, purpose: GateAPI.CodePurpose, client: String) async throws
    func register(_ request: GateAPI.RegisterRequest) async throws -> GateAPI.RegisterResponse
    func login(_ request: GateAPI.LoginRequest, client: String) async throws -> GateAPI.LoginResponse
    func logout(token: String) async throws
    func resetPassword(_ request: GateAPI.PasswordResetRequest) async throws
    func chatServer(forToken token: String) async throws -> GateAPI.ChatServerResponse
}
