import NIOCore

/// Reads RESP2 values off a byte stream that may stop anywhere, as a TCP stream does: a value
/// that is not all there yet leaves the buffer untouched, to be read again when more has come.
///
/// Limits keep a broken or hostile server from making us hold unbounded memory: a bulk string
/// over `maxBulkBytes`, an array over `maxArrayCount` elements or nesting deeper than
/// `maxDepth` is a protocol error, and the connection is closed.
public struct RESPParser: Sendable {
    public static let maxBulkBytes = 64 * 1024 * 1024
    public static let maxArrayCount = 1_000_000
    public static let maxDepth = 8
    /// The longest line (a simple string, an error, a length) we wait for.
    static let maxLineBytes = 64 * 1024

    public init() {}

    /// The next whole value at the front of `buffer`, consumed; nil if it is not all there yet.
    public func next(from buffer: inout ByteBuffer) throws -> RESPValue? {
        var view = buffer
        guard let value = try parse(&view, depth: 0) else { return nil }
        buffer = view
        return value
    }

    private func parse(_ buffer: inout ByteBuffer, depth: Int) throws -> RESPValue? {
        guard depth <= Self.maxDepth else { throw RedisError.protocolError("replies nested too deeply") }
        guard let kind = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        var rest = buffer
        rest.moveReaderIndex(forwardBy: 1)
        guard let line = try Self.line(&rest) else { return nil }
        let value: RESPValue
        switch kind {
        case UInt8(ascii: "+"):
            value = .simpleString(line)
        case UInt8(ascii: "-"):
            value = .error(line)
        case UInt8(ascii: ":"):
            guard let number = Int64(line) else { throw RedisError.protocolError("bad integer '\(line.prefix(40))'") }
            value = .integer(number)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1, length <= Self.maxBulkBytes else {
                throw RedisError.protocolError("bad bulk length '\(line.prefix(40))'")
            }
            if length == -1 {
                value = .bulkString(nil)
            } else {
                guard rest.readableBytes >= length + 2, let bytes = rest.readSlice(length: length) else { return nil }
                guard rest.readBytes(length: 2) == [13, 10] else {
                    throw RedisError.protocolError("a bulk string not followed by CRLF")
                }
                value = .bulkString(bytes)
            }
        case UInt8(ascii: "*"):
            guard let count = Int(line), count >= -1, count <= Self.maxArrayCount else {
                throw RedisError.protocolError("bad array length '\(line.prefix(40))'")
            }
            if count == -1 {
                value = .array(nil)
            } else {
                var elements: [RESPValue] = []
                elements.reserveCapacity(min(count, 1024))
                for _ in 0..<count {
                    guard let element = try parse(&rest, depth: depth + 1) else { return nil }
                    elements.append(element)
                }
                value = .array(elements)
            }
        default:
            throw RedisError.protocolError("unknown reply type byte \(kind)")
        }
        buffer = rest
        return value
    }

    /// The text up to the next CRLF, consumed with it; nil if the CRLF has not arrived.
    private static func line(_ buffer: inout ByteBuffer) throws -> String? {
        let searched = buffer.readableBytesView.prefix(maxLineBytes + 2)
        guard let cr = searched.firstIndex(of: 13) else {
            if searched.count > maxLineBytes {
                throw RedisError.protocolError("a reply line over \(maxLineBytes) bytes")
            }
            return nil
        }
        let offset = cr - buffer.readerIndex
        guard buffer.readableBytes >= offset + 2 else { return nil }
        guard buffer.getInteger(at: cr + 1, as: UInt8.self) == 10 else {
            throw RedisError.protocolError("CR without LF")
        }
        let text = buffer.readString(length: offset) ?? ""
        buffer.moveReaderIndex(forwardBy: 2)
        return text
    }
}

extension ByteBuffer {
    /// Writes a command as Redis expects it: an array of bulk strings.
    public mutating func writeRedisCommand(_ arguments: [String]) {
        writeString("*\(arguments.count)\r\n")
        for argument in arguments {
            writeString("$\(argument.utf8.count)\r\n")
            writeString(argument)
            writeString("\r\n")
        }
    }
}
