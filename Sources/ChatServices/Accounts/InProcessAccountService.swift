import ChatProtocol
import Logging

public final class InProcessAccountService: AccountService {
    private let users: UserStore
    private let verify: VerifyService
    private let status: StatusService
    private let hasher: PasswordHasher
    private let passwordChecks: PasswordCheckQueue
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
        passwordChecks: PasswordCheckQueue = PasswordCheckQueue(),
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
        self.passwordChecks = passwordChecks
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
        // The answer is the same whether or not the address has an account: a stranger must not
        // learn that from it. Where a code would be useless, the mail says why instead.
        let exists = try await users.emailExists(email)
        let codeIsUseful = (purpose == .register) != exists
        do {
            if codeIsUseful {
                try await verify.sendCode(to: email, purpose: purpose)
            } else {
                try await verify.sendNotice(to: email, purpose: purpose)
            }
        } catch let error as ChatError where error.code == .unavailable {
            // An outage sent no mail: the try is not counted against the person. It still
            // counts against the network, which bounds what anyone can make the mail
            // server attempt, outage or refusal alike.
            await limiter.giveBack("code-email:\(email)", limit: limits.codeSendsPerEmail)
            throw error
        }
    }

    public func register(username: String, email: String, password: String, code: String) async throws -> UserID {
        try AccountRules.validateUsername(username)
        try AccountRules.validateEmail(email)
        try AccountRules.validatePassword(password)
        let email = AccountRules.normalizedEmail(email)
        // Check what is public before burning the code (usernames are, through search), so a
        // taken name does not cost a new mail. Whether the email has an account is not public:
        // it is checked only after the code, which only the mailbox's owner has.
        if let taken = try await whyTaken(username) { throw ChatError(.usernameTaken, taken) }

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

    /// Why `username` cannot be had (taken, or reading like a taken name), or nil if it is free.
    private func whyTaken(_ username: String) async throws -> String? {
        if try await users.usernameExists(username) {
            return "The username '\(username)' is already taken."
        }
        if let existing = try await users.username(lookingLike: username) {
            return "The username '\(username)' looks too much like '\(existing)', which is taken."
        }
        return nil
    }

    public func usernameAvailability(_ username: String, client: String) async throws -> UsernameAvailability {
        try await limiter.enforce(
            "username-lookups:\(client)",
            limit: limits.usernameLookupsPerAddress,
            "Too many username lookups from your network."
        )
        do {
            try AccountRules.validateUsername(username)
        } catch let error as ChatError {
            // Against the rules, it can never be had: not available, and the rule says why.
            return .unavailable(error.message)
        }
        return try await whyTaken(username).map(UsernameAvailability.unavailable) ?? .free
    }

    public func signIn(account: String, password: String, client: String) async throws -> SignedIn {
        let wrong = ChatError(.invalidCredentials, "Wrong username, email or password.")
        guard !account.isEmpty, account.unicodeScalars.count <= AccountRules.emailMaxLength, password.utf8.count <= 1024
        else { throw wrong }
        let account = account.contains("@") ? AccountRules.normalizedEmail(account) : account
        let addressKey = "sign-in-address:\(client)"
        // The address first: a locked-out guesser costs no database read and no hash.
        if let wait = await limiter.lockedOut(addressKey) {
            throw lockedOut(client: client, wait: wait)
        }
        let user = try await users.user(account: account)
        // One budget per account whether it is typed as a username or an email; one per typed
        // string for names that have no account. Counted before bcrypt, in one step with the
        // lockout check, so guesses sent at once cannot all pass the check before any counts.
        // (An address's attempts are not counted ahead: an office behind one address signs in
        // all day, and its successes must not lock it out. Its floods are held back by
        // `passwordChecks`, which admits only a few of one address's checks at once.)
        let accountKey = user.map { "sign-in-user:\($0.id)" } ?? "sign-in-account:\(account.lowercased())"
        if let wait = await limiter.beginAttempt(accountKey, backoff: limits.signInFailuresPerAccount) {
            throw lockedOut(client: client, wait: wait)
        }
        let verified: Bool
        do {
            verified = try await passwordChecks.run(address: client, account: accountKey) {
                try await hasher.verify(password, hash: user?.passwordHash ?? hasher.decoyHash)
            }
        } catch {
            // Refused before any check ran (too many at once): not a failed guess.
            await limiter.forgiveAttempt(accountKey)
            logger.warning("sign-in refused: \(error)", metadata: ["client": "\(client)"])
            throw error
        }
        guard let user, verified else {
            let lockout = await limiter.recordFailure(addressKey, backoff: limits.signInFailuresPerAddress)
            logger.info(
                user == nil ? "sign-in refused: unknown account" : "sign-in refused: wrong password",
                metadata: [
                    "user": "\(user.map { "\($0.id)" } ?? "-")", "client": "\(client)",
                    "addressLockoutSeconds": "\(lockout)",
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

    private func lockedOut(client: String, wait: Double) -> ChatError {
        logger.warning(
            "sign-in refused: locked out after failures",
            metadata: ["client": "\(client)", "waitSeconds": "\(Int(wait.rounded(.up)))"]
        )
        return ChatError.rateLimited("Too many failed sign-ins.", retryAfter: wait)
    }

    /// Revokes the token, then closes the connections signed in with it, wherever they are:
    /// a signed-out session must not go on being served on a connection it opened before.
    public func signOut(token: String) async throws {
        let session = try? await status.authenticate(token: token)
        guard try await status.revokeToken(token) else {
            throw ChatError(.invalidToken, "That session is not signed in.")
        }
        if let session {
            await sessions.disconnectEverywhere(
                DisconnectOrder(
                    user: session.userID,
                    session: session.sessionID,
                    reason: ChatError(.invalidToken, "You signed out. Please sign in again.")
                )
            )
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
            DisconnectOrder(
                user: user.id,
                reason: ChatError(.invalidToken, "Your password was reset. Please sign in again.")
            )
        )
        logger.info("password reset; every session revoked", metadata: ["user": "\(user.id)"])
    }

    public func chatServer(
        forToken token: String,
        client: String
    ) async throws -> (user: UserID, chatServer: ChatServerInfo) {
        try await limiter.enforce(
            "chat-server-lookups:\(client)",
            limit: limits.chatServerLookupsPerAddress,
            "Too many chat server lookups from your network."
        )
        let user = try await status.authenticate(token: token).userID
        return (user, try await status.assignChatServer())
    }
}
