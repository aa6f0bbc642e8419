import ChatProtocol
import GRPCCore

/// A service's `ChatError` crosses a process boundary as an `RPCError` whose trailing metadata
/// carries the stable error code (`wechat-error-code`) and `Retry-After` (`wechat-retry-after`):
/// the caller gets back the very error the service threw, and a gRPC tool still sees a sensible
/// status code.
extension RPCError {
    static let errorCodeKey = "wechat-error-code"
    static let retryAfterKey = "wechat-retry-after"

    init(_ error: ChatError) {
        var metadata: Metadata = [Self.errorCodeKey: .string(error.code.rawValue)]
        if let seconds = error.retryAfterSeconds { metadata.addString("\(seconds)", forKey: Self.retryAfterKey) }
        self.init(code: Self.statusCode(for: error.code), message: error.message, metadata: metadata)
    }

    /// What the service answers for any error: a `ChatError` as itself, anything else as a plain
    /// internal error (the service logs the details; they do not leave the process).
    static func answering(_ error: any Error) -> RPCError {
        if let error = error as? RPCError { return error }
        return RPCError(error as? ChatError ?? .internalError())
    }

    private static func statusCode(for code: ErrorCode) -> RPCError.Code {
        switch code {
        case .unavailable: .unavailable
        case .rateLimited, .tooManyAttempts: .resourceExhausted
        case .invalidToken, .invalidCredentials: .unauthenticated
        case .notFound, .noSuchRequest: .notFound
        case .internalError: .internalError
        case .usernameTaken, .emailTaken, .alreadyFriends: .alreadyExists
        default: .failedPrecondition
        }
    }
}

extension ChatError {
    /// The error a caller of `service` at `endpoint` gets for `error`: the service's own
    /// `ChatError` when it sent one; `unavailable` naming the service when it could not be
    /// reached in time, so the gate answers 503 with `Retry-After` and a person knows what is down.
    init(_ error: any Error, calling service: String, at endpoint: ServiceEndpoint) {
        guard let rpc = error as? RPCError else {
            self = ChatError(
                .unavailable,
                "The \(service) service at \(endpoint) could not be called.",
                retryAfterSeconds: 2
            )
            return
        }
        if let raw = rpc.metadata[stringValues: RPCError.errorCodeKey].first(where: { _ in true }),
            let code = ErrorCode(rawValue: raw)
        {
            let retry = rpc.metadata[stringValues: RPCError.retryAfterKey].first(where: { _ in true }).flatMap {
                Int($0)
            }
            self = ChatError(code, rpc.message, retryAfterSeconds: retry)
            return
        }
        switch rpc.code {
        case .unimplemented:
            self = ChatError(
                .unavailable,
                "The \(service) service at \(endpoint) does not know this call: it runs a different version."
            )
        case .unavailable, .deadlineExceeded, .cancelled, .aborted, .resourceExhausted:
            self = ChatError(
                .unavailable,
                "The \(service) service at \(endpoint) is not answering. Please try again shortly.",
                retryAfterSeconds: 2
            )
        default:
            self = ChatError(
                .unavailable,
                "The \(service) service at \(endpoint) failed: \(rpc.message)",
                retryAfterSeconds: 2
            )
        }
    }
}
