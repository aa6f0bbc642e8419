import ChatProtocol

/// VerifyServer: one-time email codes for registration and password reset.
public protocol VerifyService: Sendable {
    /// Creates a code and mails it. At most one send per email (and purpose) per `sendInterval`.
    func sendCode(to email: String, purpose: CodePurpose) async throws
    /// Mails a note instead of a code, when a code would be useless: sign-up for an address that
    /// has an account, a reset for one that has none. Same once-a-minute rule as `sendCode`, so
    /// the gate's answer is the same either way and only the mailbox's owner learns which it was.
    func sendNotice(to email: String, purpose: CodePurpose) async throws
    /// Checks a code and burns it on success. Wrong tries count; after `maxAttempts` the code is gone.
    /// Throws `invalidCode` or `tooManyAttempts`.
    func consumeCode(_ code: String, email: String, purpose: CodePurpose) async throws
}

public struct VerifyPolicy: Sendable {
    public var codeLifetimeSeconds: Int64 = 5 * 60
    public var maxAttempts = 5
    public var sendIntervalSeconds: Int64 = 60

    public init() {}
}
