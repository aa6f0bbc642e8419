import Foundation
import NIOCore
import SwiftProtobuf

extension WireEnvelope {
    /// This envelope as one frame: length prefix and protobuf bytes.
    public func framed(allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        let bytes: [UInt8] = try serializedBytes()
        var buffer = allocator.buffer(capacity: 4 + bytes.count)
        buffer.writeInteger(UInt32(bytes.count))
        buffer.writeBytes(bytes)
        return buffer
    }

    /// Decodes one frame body (without its length prefix). Anything that is not a valid envelope,
    /// including invalid UTF-8 in a string field, is `malformedFrame`.
    public static func decode(frame: ByteBuffer) throws -> WireEnvelope {
        do {
            return try frame.withUnsafeReadableBytes { raw in
                guard let base = raw.baseAddress, raw.count > 0 else { return WireEnvelope() }
                // A `Data` over the buffer's own bytes (no copy): SwiftProtobuf takes its own
                // contiguous-bytes types, not a raw buffer pointer.
                let bytes = Data(
                    bytesNoCopy: UnsafeMutableRawPointer(mutating: base),
                    count: raw.count,
                    deallocator: .none
                )
                return try WireEnvelope(serializedBytes: bytes)
            }
        } catch {
            throw ChatError(.malformedFrame, "The frame could not be decoded as a protocol message.")
        }
    }

    /// The first frame of a connection: Hello in this protocol version.
    public static func hello(
        token: String,
        deviceID: String,
        syncCursor: UInt64 = 0,
        requestID: UInt64 = 1
    ) -> WireEnvelope {
        var hello = WireHello()
        hello.protocolVersion = ProtocolLimits.protocolVersion
        hello.token = token
        hello.deviceID = deviceID
        hello.syncCursor = syncCursor
        var envelope = WireEnvelope()
        envelope.requestID = requestID
        envelope.payload = .hello(hello)
        return envelope
    }

    public static func reply(to requestID: UInt64, _ payload: WireEnvelope.OneOf_Payload) -> WireEnvelope {
        var envelope = WireEnvelope()
        envelope.requestID = requestID
        envelope.payload = payload
        return envelope
    }

    public static func error(_ error: ChatError, requestID: UInt64 = 0) -> WireEnvelope {
        var wire = WireError()
        wire.code = error.code.rawValue
        wire.message = error.message
        return reply(to: requestID, .error(wire))
    }
}

extension WireError {
    /// The typed error this frame carries; an unknown code (from a newer server) is kept as
    /// `internalError` with the server's message.
    public var chatError: ChatError {
        ChatError(ErrorCode(rawValue: code) ?? .internalError, message)
    }
}
