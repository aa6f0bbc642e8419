import ChatProtocol
import Logging

public final class InProcessAccountService: AccountService {
    private let users: UserStore
    private let verify: VerifyService
    private let status: StatusService
    private let hasher: PasswordHasher
    private let limiter: RateLimiter
    private let limits: RateLimitPolicy
    private let sessions: SessionControl
    private let clock: WallClock
    private let logger: Logger

    /// `sessions` closes a user's live connections once a password reset has revoked every token.
    public init(
        users: UserStore,
        verify: VerifyService,
        status: StatusService,
        hasher: PasswordHasher,
        limiter: RateLimiter = InProcessRateLimiter(),
        limits: RateLimitPolicy = RateLimitPolicy(),
        sessions: SessionControl,
        clock: WallClock = .system,
        logger: Logger
    ) {
        self.users = users
        self.verify = verify
        self.status = status
        self.hasher = hasher
        self.limiter = limiter
        self.limits = limits
        self.logger = logger
        self.sessions = sessions
        self.clock = clock
    }

    public func sendCode(email: String, purpose: CodePurpose, client: String) async throws {
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
            do {
                try await verify.sendCode(to: email, purpose: purpose)
            } catch let error as ChatError where error.code == .unavailable {
                // An outage sent no mail: the tries are not counted against the person or network.
                await limiter.giveBack("code-address:\(client)", limit: limits.codeSendsPerAddress)
                await limiter.giveBack("code-email:\(email)", limit: limits.codeSendsPerEmail)
                throw error
            }
        }
    }

    public func register(username: String, email: String, password: String, code: String) async throws -> UserID {
        try AccountRules.validateUsername(username)
        try AccountRules.validateEmail(email)
        try AccountRules.validatePassword(password)
        let email = AccountRules.normalizedEmail(email)
        // Check what we can before burning the code, so a taken name does not cost a new mail.
        if try await users.usernameExists(username) {
            throw ChatError(.usernameTaken, "The username '\(username)' is already taken.")
        }
        if let existing = try await users.username(lookingLike: username) {
            throw ChatError(
                .usernameTaken,
                "The username '\(username)' looks too much like '\(existing)', which is taken."
            )
        }
        if try await users.emailExists(email) {
            throw ChatError(.emailTaken, "An account with this email already exists.")
        }
        try await verify.consumeCode(code, email: email, purpose: .register)
        let hash = try await hasher.hash(password)
        let user = try await users.createUser(
            username: username,
            email: email,
            passwordHash: hash,
            nowMs: clock.nowMs()
        )
        logger.info("user registered", metadata: ["user": "\(user.id)", "username": "\(user.username)"])
        return user.id
    }

    public func signIn(account: String, password: String, client: String) async throws -> SignedIn {
        let wrong = ChatError(.invalidCredentials, "Wrong username, email or password.")
        guard !account.isEmpty, account.utf8.count <= AccountRules.emailMaxLength, password.utf8.count <= 1024
        else { throw wrong }
        let account = account.contains("@") ? AccountRules.normalizedEmail(account) : account
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
        let verified = try await hasher.verify(password, hash: user?.passwordHash ?? hasher.decoyHash)
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
        return SignedIn(userID: user.id, username: user.username, token: token, chatServer: server)
    }

    public func signOut(token: String) async throws {
        guard try await status.revokeToken(token) else {
            throw ChatError(.invalidToken, "That session is not signed in.")
        }
    }

    public func resetPassword(email: String, code: String, newPassword: String) async throws {
        try AccountRules.validateEmail(email)
        try AccountRules.validatePassword(newPassword)
        let email = AccountRules.normalizedEmail(email)
        try await verify.consumeCode(code, email: email, purpose: .reset)
        guard let user = try await users.user(account: email) else {
            throw ChatError.wrongOrExpiredCode
        }
        let hash = try await hasher.hash(newPassword)
        try await users.updatePasswordHash(userID: user.id, hash: hash)
        try await status.revokeAllTokens(of: user.id)
        await sessions.disconnectEverywhere(
            user.id,
            reason: ChatError(.invalidToken, "Your password was reset. Please sign in again.")
        )
        logger.info("password reset; every session revoked", metadata: ["user": "\(user.id)"])
    }

    public func chatServer(forToken token: String) async throws -> (user: UserID, chatServer: ChatServerInfo) {
        let user = try await status.authenticate(token: token)
        return (user, try await status.assignChatServer())
    }
}
