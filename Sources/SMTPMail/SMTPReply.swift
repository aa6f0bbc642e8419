import NIOCore

/// One reply from an SMTP server: a three-digit code and its lines ("250-first", "250 last").
public struct SMTPReply: Sendable, Equatable {
    public var code: Int
    public var lines: [String]

    public var isPositive: Bool { (200..<400).contains(code) }
    /// The reply as the server said it, on one line, for error messages.
    public var text: String { "\(code) \(lines.joined(separator: " "))" }
}

/// Cuts the byte stream into replies: lines end with CRLF (a bare LF is accepted), a reply ends
/// with the line whose fourth character is a space. Refuses lines over 4 KiB and replies over 100
/// lines: a server that sends more is not an SMTP server we should keep listening to.
struct SMTPReplyDecoder: ByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    static let maxLineBytes = 4_096
    static let maxLines = 100
    private var pending: [String] = []

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maxLineBytes { throw SMTPError.malformedReply("a line over 4 KiB") }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex
        guard var line = buffer.readString(length: length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)),
            bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-")
        else {
            throw SMTPError.malformedReply(String(line.prefix(80)))
        }
        pending.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard pending.count <= Self.maxLines else { throw SMTPError.malformedReply("a reply over 100 lines") }
        if bytes.count > 3, bytes[3] == UInt8(ascii: "-") { return .continue }
        context.fireChannelRead(wrapInboundOut(SMTPReply(code: code, lines: pending)))
        pending = []
        return .continue
    }
}
