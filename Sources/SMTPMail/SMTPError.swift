/// Why a mail could not be sent, in words that name the server. Never carries the password.
public enum SMTPError: Error, Equatable, CustomStringConvertible {
    case unreachable(String)
    case malformedReply(String)
    /// The server refused a step: which step, and its reply.
    case refused(step: String, reply: String)
    case startTLSNotOffered(String)
    case authenticationNotOffered(String)
    case timedOut(String)
    case invalidAddress(String)
    case connectionClosed(String)

    public var description: String {
        switch self {
        case .unreachable(let detail): "The mail server is unreachable: \(detail)"
        case .malformedReply(let line): "The mail server sent something that is not SMTP: \(line)"
        case .refused(let step, let reply): "The mail server refused \(step): \(reply)"
        case .startTLSNotOffered(let server): "The mail server \(server) does not offer STARTTLS."
        case .authenticationNotOffered(let server):
            "The mail server \(server) does not offer AUTH PLAIN or LOGIN (over TLS)."
        case .timedOut(let server): "The mail server \(server) did not answer in time."
        case .invalidAddress(let address): "Not a mail address that can be sent to: \(address)"
        case .connectionClosed(let server): "The mail server \(server) closed the connection."
        }
    }
}
