import ChatProtocol
import Logging

public final class InProcessAccountService: AccountService {
    private let users: UserStore
    private let verify: VerifyService
    private let status: StatusService
    private let hasher: PasswordHasher
    private let limiter: RateLimiter
    private let limits: RateLimitPolicy
    private let onPasswordReset: @Sendable (UserID) async -> Void
    private let logger: Logger

    /// `onPasswordReset` runs after a reset revoked every token, so live connections can be closed.
    public init(
        users: UserStore,
        verify: VerifyService,
        status: StatusService,
        hasher: PasswordHasher,
        limiter: RateLimiter = InProcessRateLimiter(),
        limits: RateLimitPolicy = RateLimitPolicy(),
        logger: Logger,
        onPasswordReset: @escaping @Sendable (UserID) async -> Void = { _ in }
    ) {
        self.users = users
        self.verify = verify
        self.status = status
        self.hasher = hasher
        self.limiter = limiter
        self.limits = limits
        self.logger = logger
        self.onPasswordReset = onPasswordReset
    }

    public func sendCode(email: String, purpose: GateAPI.CodePurpose, client: String) async throws {
        try AccountRules.validateEmail(email)
        let email = AccountRules.normalizedEmail(email)
        do {
            try await limiter.enforce(
                "code-address:\(client)",
                limit: limits.codeSendsPerAddress,
                "Too many verification codes were requested from your network."
            )
            try await limiter.enforce(
                "code-email:\(email)",
                limit: limits.codeSendsPerEmail,
                "Too many verification codes were sent to this address."
            )
        } catch {
            logger.warning(
                "verification code refused: rate limited",
                metadata: ["email": "\(email)", "client": "\(client)"]
            )
            throw error
        }
        let exists = try await users.emailExists(email)
        switch purpose {
        case .register where exists:
            throw ChatError(.emailTaken, "An account with this email already exists. Sign in, or reset the password.")
        case .reset where !exists:
            // Say nothing that tells a stranger whether the address has an account.
            logger.info("reset code requested for an unknown email; no mail sent")
            return
        default:
            try await verify.sendCode(to: email, purpose: purpose)
        }
    }

    public func register(_ request: GateAPI.RegisterRequest) async throws -> GateAPI.RegisterResponse {
        try AccountRules.validateUsername(request.username)
        try AccountRules.validateEmail(request.email)
        try AccountRules.validatePassword(request.password)
        let email = AccountRules.normalizedEmail(request.email)
        // Check what we can before burning the code, so a taken name does not cost a new mail.
        if try await users.usernameExists(request.username) {
            throw ChatError(.usernameTaken, "The username '\(request.username)' is already taken.")
        }
        if try await users.emailExists(email) {
            throw ChatError(.emailTaken, "An account with this email already exists.")
        }
        try await verify.consumeCode(request.code, email: email, purpose: .register)
        let hash = try await hasher.hash(request.password)
        let user = try await users.createUser(
            username: request.username,
            email: email,
            passwordHash: hash,
            nowMs: WallClock.system.nowMs()
        )
        logger.info("user registered", metadata: ["user": "\(user.id)", "username": "\(user.username)"])
        return GateAPI.RegisterResponse(userId: user.id, username: user.username)
    }

    public func login(_ request: GateAPI.LoginRequest, client: String) async throws -> GateAPI.LoginResponse {
        let wrong = ChatError(.invalidCredentials, "Wrong username, email or password.")
        guard !request.account.isEmpty, request.account.utf8.count <= AccountRules.emailMaxLength,
            request.password.utf8.count <= 1024
        else { throw wrong }
        let account = request.account.contains("@") ? AccountRules.normalizedEmail(request.account) : request.account
        let accountKey = "sign-in-account:\(account.lowercased())"
        let addressKey = "sign-in-address:\(client)"
        // Checked before bcrypt: a locked-out guesser does not even cost the server a hash.
        let accountWait = await limiter.lockedOut(accountKey) ?? 0
        let addressWait = await limiter.lockedOut(addressKey) ?? 0
        let wait = max(accountWait, addressWait)
        if wait > 0 {
            logger.warning(
                "sign-in refused: locked out after failures",
                metadata: ["client": "\(client)", "waitSeconds": "\(Int(wait.rounded(.up)))"]
            )
            throw ChatError.rateLimited("Too many failed sign-ins.", retryAfter: wait)
        }
        let user = try await users.user(account: account)
        let verified = try await hasher.verify(request.password, hash: user?.passwordHash ?? hasher.decoyHash)
        guard let user, verified else {
            let lockout = max(
                await limiter.recordFailure(accountKey, backoff: limits.signInFailuresPerAccount),
                await limiter.recordFailure(addressKey, backoff: limits.signInFailuresPerAddress)
            )
            logger.info(
                user == nil ? "sign-in refused: unknown account" : "sign-in refused: wrong password",
                metadata: [
                    "user": "\(user.map { "\($0.id)" } ?? "-")", "client": "\(client)", "lockoutSeconds": "\(lockout)",
                ]
            )
            throw wrong
        }
        await limiter.clearFailures(accountKey)
        let server = try await status.assignChatServer()
        let token = try await status.issueToken(for: user.id)
        logger.info("signed in", metadata: ["user": "\(user.id)", "chatServer": "\(server.id)"])
        return GateAPI.LoginResponse(
            userId: user.id,
            username: user.username,
            token: token.token,
            expiresAt: token.expiresAtMs / 1000,
            chatServer: server.address
        )
    }

    public func logout(token: String) async throws {
        guard try await status.revokeToken(token) else {
            throw ChatError(.invalidToken, "That session is not signed in.")
        }
    }

    public func resetPassword(_ request: GateAPI.PasswordResetRequest) async throws {
        try AccountRules.validateEmail(request.email)
        try AccountRules.validatePassword(request.newPassword)
        let email = AccountRules.normalizedEmail(request.email)
        try await verify.consumeCode(request.code, email: email, purpose: .reset)
        guard let user = try await users.user(account: email) else {
            throw ChatError(.invalidCode, "That code is wrong or has expired. Check the mail or ask for a new code.")
        }
        let hash = try await hasher.hash(request.newPassword)
        try await users.updatePasswordHash(userID: user.id, hash: hash)
        try await status.revokeAllTokens(of: user.id)
        await onPasswordReset(user.id)
        logger.info("password reset; every session revoked", metadata: ["user": "\(user.id)"])
    }

    public func chatServer(forToken token: String) async throws -> GateAPI.ChatServerResponse {
        let user = try await status.authenticate(token: token)
        let server = try await status.assignChatServer()
        return GateAPI.ChatServerResponse(userId: user, chatServer: server.address)
    }
}
