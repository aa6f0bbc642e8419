import ChatProtocol
import NIOCore
import SwiftProtobuf
import Testing

@Suite("FrameDecoder")
struct FrameDecoderTests {
    /// A frame as it travels: 4-byte big-endian length, then the body.
    private func frame(_ body: [UInt8]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 4 + body.count)
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
        return buffer
    }

    private func contents(_ buffer: ByteBuffer) -> [UInt8] {
        Array(buffer.readableBytesView)
    }

    // MARK: nextFrame

    @Test func wholeFrameIsTakenOffTheBuffer() throws {
        var buffer = frame([1, 2, 3, 4, 5])
        let bodyResult = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: 1024)
        let body = try #require(bodyResult)
        #expect(contents(body) == [1, 2, 3, 4, 5])
        #expect(buffer.readableBytes == 0)
        let noFrame = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: 1024)
        #expect(noFrame == nil)
    }

    @Test func emptyBufferHasNoFrame() throws {
        var buffer = ByteBufferAllocator().buffer(capacity: 0)
        let noFrame = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: 1024)
        #expect(noFrame == nil)
        #expect(buffer.readableBytes == 0)
    }

    @Test func frameSplitAcrossPartialBuffersIsReturnedOnlyWhenComplete() throws {
        let body: [UInt8] = Array(0..<200).map { UInt8($0) }
        let wire = contents(frame(body))
        // Split inside the length prefix, inside the body, and leave the last byte for the end.
        let cuts = [0, 1, 3, 4, 50, 203, wire.count]
        var cumulation = ByteBufferAllocator().buffer(capacity: wire.count)
        var decoded: ByteBuffer?
        for (start, end) in zip(cuts, cuts.dropFirst()) {
            cumulation.writeBytes(wire[start..<end])
            let before = cumulation.readableBytes
            decoded = try FrameDecoder.nextFrame(from: &cumulation, maxFrameBytes: 1024)
            if end < wire.count {
                #expect(decoded == nil, "a frame was returned after only \(end) of \(wire.count) bytes")
                // Nothing is consumed while the frame is incomplete.
                #expect(cumulation.readableBytes == before)
            }
        }
        let frameBody = try #require(decoded)
        #expect(contents(frameBody) == body)
        #expect(cumulation.readableBytes == 0)
    }

    @Test func frameFedOneByteAtATime() throws {
        let body = Array("one byte at a time".utf8)
        let wire = contents(frame(body))
        var cumulation = ByteBufferAllocator().buffer(capacity: wire.count)
        var frames: [[UInt8]] = []
        for (index, byte) in wire.enumerated() {
            cumulation.writeInteger(byte)
            if let frame = try FrameDecoder.nextFrame(from: &cumulation, maxFrameBytes: 1024) {
                #expect(index == wire.count - 1)
                frames.append(contents(frame))
            }
        }
        #expect(frames == [body])
    }

    @Test func twoFramesInOneBufferComeOutInOrder() throws {
        var buffer = frame([0xAA, 0xBB])
        var second = frame([0x01, 0x02, 0x03])
        buffer.writeBuffer(&second)
        // And the first 2 bytes of a third frame's header.
        buffer.writeBytes([0x00, 0x00])

        let firstResult = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: 1024)
        let first = try #require(firstResult)
        let nextResult = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: 1024)
        let next = try #require(nextResult)
        #expect(contents(first) == [0xAA, 0xBB])
        #expect(contents(next) == [0x01, 0x02, 0x03])
        let noFrame = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: 1024)
        #expect(noFrame == nil)
        #expect(buffer.readableBytes == 2)
    }

    @Test func announcedLengthOverTheLimitFailsBeforeTheBodyArrives() throws {
        // Only the header: the body never needs to be buffered for the decoder to refuse it.
        var buffer = ByteBufferAllocator().buffer(capacity: 4)
        buffer.writeInteger(UInt32(ProtocolLimits.maxFrameBytes + 1))
        let error = #expect(throws: ChatError.self) {
            _ = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: ProtocolLimits.maxFrameBytes)
        }
        #expect(error?.code == .frameTooLarge)
    }

    @Test func hugeAnnouncedLengthFails() throws {
        var buffer = ByteBufferAllocator().buffer(capacity: 4)
        buffer.writeInteger(UInt32.max)
        let error = #expect(throws: ChatError.self) {
            _ = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: ProtocolLimits.maxFrameBytes)
        }
        #expect(error?.code == .frameTooLarge)
    }

    @Test func lengthExactlyAtTheLimitIsAccepted() throws {
        let body = [UInt8](repeating: 7, count: 16)
        var atLimit = frame(body)
        let decodedResult = try FrameDecoder.nextFrame(from: &atLimit, maxFrameBytes: 16)
        let decoded = try #require(decodedResult)
        #expect(contents(decoded) == body)

        var overLimit = frame(body + [7])
        let error = #expect(throws: ChatError.self) {
            _ = try FrameDecoder.nextFrame(from: &overLimit, maxFrameBytes: 16)
        }
        #expect(error?.code == .frameTooLarge)
    }

    @Test func zeroLengthFrameIsAnEmptyBody() throws {
        var buffer = frame([])
        buffer.writeBytes(frame([9]).readableBytesView)
        let emptyResult = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: 1024)
        let empty = try #require(emptyResult)
        #expect(empty.readableBytes == 0)
        let nextResult = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: 1024)
        let next = try #require(nextResult)
        #expect(contents(next) == [9])

        // An empty body is a valid (empty) envelope.
        let envelope = try WireEnvelope.decode(frame: empty)
        #expect(envelope.requestID == 0)
        #expect(envelope.payload == nil)
    }

    @Test func defaultDecoderUsesTheProtocolLimit() {
        #expect(FrameDecoder().maxFrameBytes == ProtocolLimits.maxFrameBytes)
        #expect(FrameDecoder(maxFrameBytes: 10).maxFrameBytes == 10)
    }

    // MARK: Envelope round trip

    @Test func envelopeRoundTripsThroughAFrameWithChineseAndEmoji() throws {
        let text = "你好，世界！👋🏽 测试 🇨🇳 👨‍👩‍👧‍👦 café"
        var send = WireSendMessage()
        send.toUserID = 42
        send.clientMsgID = "客户端-🆔-1"
        send.text = text
        let envelope = WireEnvelope.reply(to: 7, .sendMessage(send))

        var wire = try envelope.framed()
        let serialized: [UInt8] = try envelope.serializedBytes()
        #expect(wire.readableBytes == 4 + serialized.count)
        #expect(wire.getInteger(at: wire.readerIndex, as: UInt32.self) == UInt32(serialized.count))

        let bodyResult = try FrameDecoder.nextFrame(from: &wire, maxFrameBytes: ProtocolLimits.maxFrameBytes)
        let body = try #require(bodyResult)
        #expect(wire.readableBytes == 0)
        let decoded = try WireEnvelope.decode(frame: body)
        #expect(decoded == envelope)
        #expect(decoded.requestID == 7)
        guard case .sendMessage(let message)? = decoded.payload else {
            Issue.record("expected a sendMessage payload, got \(String(describing: decoded.payload))")
            return
        }
        #expect(message.text == text)
        #expect(message.clientMsgID == "客户端-🆔-1")
        #expect(message.toUserID == 42)
    }

    @Test func severalEnvelopesInOneStreamRoundTrip() throws {
        var stream = ByteBufferAllocator().buffer(capacity: 256)
        var sent: [WireEnvelope] = []
        for index in 1...3 {
            var markRead = WireMarkRead()
            markRead.peerID = Int64(index)
            markRead.seq = UInt64(index * 10)
            let envelope = WireEnvelope.reply(to: UInt64(index), .markRead(markRead))
            sent.append(envelope)
            var framed = try envelope.framed()
            stream.writeBuffer(&framed)
        }
        var received: [WireEnvelope] = []
        while let body = try FrameDecoder.nextFrame(from: &stream, maxFrameBytes: ProtocolLimits.maxFrameBytes) {
            received.append(try WireEnvelope.decode(frame: body))
        }
        #expect(received == sent)
    }

    // MARK: Malformed frames

    /// Bytes that are not a protobuf encoding, each for its own reason.
    static let garbage: [[UInt8]] = [
        [0xFF, 0xFF, 0xFF],  // a tag varint that never ends
        [0x00],  // field number 0
        [0x07, 0x13, 0x9A, 0xFE, 0x00, 0x42],  // field 0 with wire type 7
        [0x0F, 0x01],  // field 1 with the invalid wire type 7
        [0x08],  // field 1 varint, value missing
        [0x08] + [UInt8](repeating: 0xFF, count: 11),  // a varint longer than 10 bytes
        [0x52, 0x05, 0x01],  // `hello` announces 5 bytes, has 1
        [0x52, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],  // `hello` announces ~4 GB
        [0x52, 0x02, 0x12, 0x05, 0x41],  // `hello.token` overruns its parent
    ]

    @Test(arguments: garbage)
    func garbageIsAMalformedFrame(_ bytes: [UInt8]) {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let error = #expect(throws: ChatError.self) {
            _ = try WireEnvelope.decode(frame: buffer)
        }
        #expect(error?.code == .malformedFrame)
    }

    @Test func pseudoRandomGarbageIsAMalformedFrame() {
        // A fixed-seed sequence, each run starting with an invalid tag so it can never parse.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for round in 0..<50 {
            var bytes: [UInt8] = [0x00]
            for _ in 0..<(8 + round) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 56))
            }
            var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            let error = #expect(throws: ChatError.self) {
                _ = try WireEnvelope.decode(frame: buffer)
            }
            #expect(error?.code == .malformedFrame)
        }
    }

    @Test func truncatedValidEncodingIsAMalformedFrame() throws {
        var send = WireSendMessage()
        send.toUserID = 9
        send.clientMsgID = "abc"
        send.text = "a message long enough to cut in several places"
        let envelope = WireEnvelope.reply(to: 3, .sendMessage(send))
        let full: [UInt8] = try envelope.serializedBytes()

        // The whole thing decodes...
        var whole = ByteBufferAllocator().buffer(capacity: full.count)
        whole.writeBytes(full)
        #expect(try WireEnvelope.decode(frame: whole) == envelope)

        // ...but every cut into the trailing `send_message` submessage does not.
        for drop in [1, 2, 10, send.text.utf8.count] {
            var cut = ByteBufferAllocator().buffer(capacity: full.count)
            cut.writeBytes(full.dropLast(drop))
            let error = #expect(throws: ChatError.self, "dropping \(drop) bytes") {
                _ = try WireEnvelope.decode(frame: cut)
            }
            #expect(error?.code == .malformedFrame)
        }
    }

    @Test func validHandCraftedHelloDecodes() throws {
        // Control for the invalid-UTF-8 case below: the same shape with valid text decodes.
        // field 10 (hello), length 4 { field 2 (token), length 2, "hi" }
        var buffer = ByteBufferAllocator().buffer(capacity: 6)
        buffer.writeBytes([0x52, 0x04, 0x12, 0x02, 0x68, 0x69])
        let envelope = try WireEnvelope.decode(frame: buffer)
        guard case .hello(let hello)? = envelope.payload else {
            Issue.record("expected a hello payload")
            return
        }
        #expect(hello.token == "hi")
    }

    @Test func invalidUTF8InAStringFieldIsAMalformedFrame() {
        // field 10 (hello), length 4 { field 2 (token), length 2, 0xC3 0x28 }: 0xC3 starts a
        // two-byte sequence, 0x28 is not a continuation byte.
        var buffer = ByteBufferAllocator().buffer(capacity: 6)
        buffer.writeBytes([0x52, 0x04, 0x12, 0x02, 0xC3, 0x28])
        let error = #expect(throws: ChatError.self) {
            _ = try WireEnvelope.decode(frame: buffer)
        }
        #expect(error?.code == .malformedFrame)
    }

    @Test func invalidUTF8InANestedMessageTextIsAMalformedFrame() {
        // field 40 (send_message, tag varint 0xC2 0x02), length 4 { field 3 (text), length 2, 0xFF 0xFE }
        var buffer = ByteBufferAllocator().buffer(capacity: 7)
        buffer.writeBytes([0xC2, 0x02, 0x04, 0x1A, 0x02, 0xFF, 0xFE])
        let error = #expect(throws: ChatError.self) {
            _ = try WireEnvelope.decode(frame: buffer)
        }
        #expect(error?.code == .malformedFrame)
    }
}
