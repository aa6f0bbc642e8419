/// Every limit the services enforce, in one place, with defaults a person chatting never meets.
/// `wechat-server` exposes them as options; benchmarks turn them off with `.unlimited`.
public struct RateLimitPolicy: Sendable, Equatable {
    /// Failed sign-ins per account (a guesser going after one person).
    public var signInFailuresPerAccount = FailureBackoff(freeFailures: 5)
    /// Failed sign-ins per client address (a guesser trying many accounts).
    public var signInFailuresPerAddress = FailureBackoff(freeFailures: 20)
    /// Verification mails per email address, on top of the one-per-minute rule of the verify service.
    public var codeSendsPerEmail = RateLimit.per(3600, 5)
    /// Verification mails requested per client address (someone mailing many strangers).
    public var codeSendsPerAddress = RateLimit.per(3600, 20)
    /// Messages per user per second, all devices together.
    public var messagesPerUser = RateLimit(perSecond: 20, burst: 100)
    /// Message storage per user, in KiB of text, all devices together: the storage quota. A
    /// day's worth refills over a day; past it, messages are refused (`quota_exceeded`) until it
    /// has. The message rate alone would let one user add ~29 GB a day.
    public var messageKiBPerUser = RateLimit.per(86_400, 64 * 1024)
    /// Friend requests per user per day.
    public var friendRequestsPerUser = RateLimit.per(86_400, 100)
    /// Frames of any kind per connection: a flood of pings or searches is refused, not served.
    public var framesPerConnection = RateLimit(perSecond: 200, burst: 400)
    /// Requests other than messages per user per second, all devices and connections together
    /// (shared across chat nodes): thirty connections of one user setting remarks once made
    /// 1,269 durable writes a second and slowed everyone's messages.
    public var requestsPerUser = RateLimit(perSecond: 20, burst: 200)
    /// `GET /chat-server` per client address: what a reconnecting client asks, once per
    /// reconnect, so a generous burst; a guesser of tokens gets no further.
    public var chatServerLookupsPerAddress = RateLimit(perSecond: 20, burst: 300)
    /// `GET /usernames/{name}` per client address: a sign-up form asks once a name is entered.
    /// Usernames are public (search finds them), so this bounds the load, not what is learnt.
    public var usernameLookupsPerAddress = RateLimit(perSecond: 20, burst: 300)
    /// "I am typing" per user: a client repeats it every few seconds while typing
    /// (`ProtocolLimits.typingRepeatSeconds`); more is refused, since each one is pushed to
    /// everyone in the conversation (up to a whole group) and never stored.
    public var typingPerUser = RateLimit(perSecond: 1, burst: 5)

    public init() {}

    /// No limits at all: load tests measure the server, not its limits.
    public static var unlimited: RateLimitPolicy {
        var policy = RateLimitPolicy()
        policy.signInFailuresPerAccount = .never
        policy.signInFailuresPerAddress = .never
        policy.codeSendsPerEmail = .unlimited
        policy.codeSendsPerAddress = .unlimited
        policy.messagesPerUser = .unlimited
        policy.friendRequestsPerUser = .unlimited
        policy.messageKiBPerUser = .unlimited
        policy.framesPerConnection = .unlimited
        policy.requestsPerUser = .unlimited
        policy.chatServerLookupsPerAddress = .unlimited
        policy.usernameLookupsPerAddress = .unlimited
        policy.typingPerUser = .unlimited
        return policy
    }
}
