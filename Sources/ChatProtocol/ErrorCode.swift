/// The stable error codes shared by the TCP protocol (`Error.code`) and the HTTP API
/// (`{"error": {"code": ...}}`). Codes are only ever added; a code's meaning never changes.
public enum ErrorCode: String, Sendable, CaseIterable, Codable {
    // Request shape
    case badRequest = "bad_request"  // malformed JSON, wrong types, missing fields
    case payloadTooLarge = "payload_too_large"  // HTTP body or text over its limit
    case notFound = "not_found"  // unknown route, or no such user
    case methodNotAllowed = "method_not_allowed"

    // Accounts
    case invalidUsername = "invalid_username"
    case invalidEmail = "invalid_email"
    case weakPassword = "weak_password"
    case usernameTaken = "username_taken"
    case emailTaken = "email_taken"
    case invalidCredentials = "invalid_credentials"

    // Verification codes
    case invalidCode = "invalid_code"  // wrong, expired or already used
    case tooManyAttempts = "too_many_attempts"  // the code is burnt; request a new one
    case rateLimited = "rate_limited"

    // Sessions
    case invalidToken = "invalid_token"  // unknown, revoked or expired
    case helloRequired = "hello_required"
    case unsupportedVersion = "unsupported_version"

    // Frames
    case frameTooLarge = "frame_too_large"
    case malformedFrame = "malformed_frame"
    case idleTimeout = "idle_timeout"
    case slowConsumer = "slow_consumer"  // stopped reading while the server had pushes for it

    // Social graph and messages
    case invalidText = "invalid_text"
    case notFriends = "not_friends"
    case blocked = "blocked"
    case alreadyFriends = "already_friends"
    case cannotFriendSelf = "cannot_friend_self"
    case noSuchRequest = "no_such_request"
    case limitReached = "limit_reached"  // friends or pending requests at their cap
    case quotaExceeded = "quota_exceeded"  // the day's message storage is used up

    // Groups and message actions
    case notAMember = "not_a_member"  // not in the group (or a mention of someone who is not)
    case notGroupOwner = "not_group_owner"  // only the owner removes, renames, announces, transfers
    case noSuchMessage = "no_such_message"  // not there, or not one this user can see
    case notYourMessage = "not_your_message"  // recalling someone else's message
    case recallTooLate = "recall_too_late"  // more than two minutes after it was sent

    // Server side
    case unavailable = "unavailable"  // also: the server is full (connection limit)
    case internalError = "internal"

    /// The HTTP status the gate answers with for this code.
    public var httpStatus: Int {
        switch self {
        case .badRequest, .invalidUsername, .invalidEmail, .weakPassword, .invalidText,
            .invalidCode, .frameTooLarge, .malformedFrame, .cannotFriendSelf:
            return 400
        case .invalidCredentials, .invalidToken, .helloRequired, .idleTimeout, .slowConsumer:
            return 401
        case .notFriends, .blocked, .notAMember, .notGroupOwner, .notYourMessage:
            return 403
        case .notFound, .noSuchRequest, .noSuchMessage:
            return 404
        case .methodNotAllowed:
            return 405
        case .usernameTaken, .emailTaken, .alreadyFriends, .limitReached, .recallTooLate:
            return 409
        case .payloadTooLarge:
            return 413
        case .unsupportedVersion:
            return 426
        case .tooManyAttempts, .rateLimited, .quotaExceeded:
            return 429
        case .unavailable:
            return 503
        case .internalError:
            return 500
        }
    }
}

/// An error a person can read, with its stable code. Thrown by services, rendered by the gate as
/// JSON and by the chat server as an `Error` frame.
public struct ChatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    /// For `rateLimited`: when trying again can succeed (the gate sends it as `Retry-After`).
    public var retryAfterSeconds: Int?

    public init(_ code: ErrorCode, _ message: String, retryAfterSeconds: Int? = nil) {
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func internalError() -> ChatError {
        ChatError(.internalError, "Something went wrong on the server. Please try again.")
    }
}
