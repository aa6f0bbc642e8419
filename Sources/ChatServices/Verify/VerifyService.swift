import ChatProtocol

/// VerifyServer: one-time email codes for registration and password reset.
public protocol VerifyService: Sendable {
    /// Creates a code and mails it. At most one send per email (and purpose) per `sendInterval`.
    func sendCode(to email: String, purpose: CodePurpose) async throws
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
