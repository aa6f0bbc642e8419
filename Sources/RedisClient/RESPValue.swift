import NIOCore

/// One value of RESP2, the protocol Redis speaks: what a command's reply is.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    /// A bulk string: binary-safe bytes. nil is Redis's null bulk string (a missing key).
    case bulkString(ByteBuffer?)
    /// nil is Redis's null array (a timed-out blocking pop, an aborted transaction).
    case array([RESPValue]?)

    /// The value as text: a simple or bulk string (as UTF-8), or an integer's digits.
    public var string: String? {
        switch self {
        case .simpleString(let text): return text
        case .bulkString(let bytes?): return String(buffer: bytes)
        case .integer(let value): return String(value)
        default: return nil
        }
    }

    /// The value as an integer: an integer reply, or a string of digits.
    public var integer: Int64? {
        switch self {
        case .integer(let value): return value
        case .simpleString(let text): return Int64(text)
        case .bulkString(let bytes?): return Int64(String(buffer: bytes))
        default: return nil
        }
    }

    /// The elements of an array reply (empty for a null array).
    public var array: [RESPValue]? {
        switch self {
        case .array(let values): return values ?? []
        default: return nil
        }
    }

    /// A null bulk string or a null array.
    public var isNull: Bool {
        switch self {
        case .bulkString(nil), .array(nil): return true
        default: return false
        }
    }
}
