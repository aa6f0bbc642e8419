/// What can go wrong talking to Redis.
public enum RedisError: Error, Equatable, CustomStringConvertible {
    /// Redis answered the command with an error (`-ERR …`, `-WRONGTYPE …`).
    case reply(String)
    /// The connection could not be made, or broke, or timed out: Redis is unavailable for now.
    case unavailable(String)
    /// The server sent something that is not RESP: the connection is closed.
    case protocolError(String)

    public var description: String {
        switch self {
        case .reply(let message): return "Redis refused a command: \(message)"
        case .unavailable(let message): return message
        case .protocolError(let message): return "Redis sent something unreadable: \(message)"
        }
    }
}
