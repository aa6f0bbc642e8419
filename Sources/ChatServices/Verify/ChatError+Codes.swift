import ChatProtocol

/// The refusals every `VerifyService` gives, worded once: the in-process and the Redis service
/// (and the account service, which must not tell a stranger more than they do) say the same.
extension ChatError {
    public static let wrongOrExpiredCode = ChatError(
        .invalidCode,
        "That code is wrong or has expired. Check the mail or ask for a new code."
    )

    public static let codeBurnt = ChatError(.tooManyAttempts, "Too many wrong codes. Ask for a new code.")

    /// Another code was mailed to the address `waitMs` before the send window ends.
    public static func codeSentMomentsAgo(waitMs: Int64) -> ChatError {
        let seconds = (max(waitMs, 1) + 999) / 1000
        return ChatError(
            .rateLimited,
            "A code was sent to this address moments ago. Try again in \(seconds) s.",
            retryAfterSeconds: Int(seconds)
        )
    }
}
