import NIOCore
import RedisClient
import Testing

/// The RESP2 reader from a table of what Redis sends: every reply type, every value cut at every
/// byte (nothing until it is whole), and input that is not RESP.
@Suite struct RESPParserTests {
    static let table: [(bytes: String, value: RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        ("-ERR unknown command\r\n", .error("ERR unknown command")),
        (":-42\r\n", .integer(-42)),
        ("$5\r\nhello\r\n", .bulkString(ByteBuffer(string: "hello"))),
        ("$0\r\n\r\n", .bulkString(ByteBuffer())),
        ("$-1\r\n", .bulkString(nil)),
        ("$10\r\n你好🙂\r\n", .bulkString(ByteBuffer(string: "你好🙂"))),
        ("$4\r\na\r\nb\r\n", .bulkString(ByteBuffer(string: "a\r\nb"))),
        ("*0\r\n", .array([])),
        ("*-1\r\n", .array(nil)),
        (
            "*3\r\n:1\r\n$3\r\nfoo\r\n*2\r\n+a\r\n$-1\r\n",
            .array([
                .integer(1), .bulkString(ByteBuffer(string: "foo")), .array([.simpleString("a"), .bulkString(nil)]),
            ])
        ),
    ]

    @Test func everyReplyTypeIsRead() throws {
        for (bytes, value) in Self.table {
            var buffer = ByteBuffer(string: bytes + "+NEXT\r\n")
            #expect(try RESPParser().next(from: &buffer) == value, "\(bytes.debugDescription)")
            #expect(try RESPParser().next(from: &buffer) == .simpleString("NEXT"))
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test func aValueCutAnywhereIsReadOnlyWhenWhole() throws {
        for (bytes, value) in Self.table {
            let all = Array(bytes.utf8)
            for cut in 0..<all.count {
                var buffer = ByteBuffer(bytes: all[..<cut])
                #expect(try RESPParser().next(from: &buffer) == nil, "\(bytes.debugDescription) cut at \(cut)")
                #expect(buffer.readableBytes == cut, "nothing consumed")
                buffer.writeBytes(all[cut...])
                #expect(try RESPParser().next(from: &buffer) == value, "\(bytes.debugDescription) cut at \(cut)")
            }
        }
    }

    @Test func whatIsNotRESPIsAnError() {
        for bytes in [
            "?what\r\n", ":12x\r\n", "$-2\r\n", "$3\r\nabcXY", "*-5\r\n", "+OK\rX", "$999999999999\r\n",
        ] {
            var buffer = ByteBuffer(string: bytes)
            #expect(throws: RedisError.self, "\(bytes.debugDescription)") { try RESPParser().next(from: &buffer) }
        }
    }

    @Test func nestingTooDeepIsAnError() {
        var buffer = ByteBuffer(string: String(repeating: "*1\r\n", count: RESPParser.maxDepth + 2) + ":1\r\n")
        #expect(throws: RedisError.self) { try RESPParser().next(from: &buffer) }
    }

    @Test func commandsAreArraysOfBulkStrings() {
        var buffer = ByteBuffer()
        buffer.writeRedisCommand(["SET", "名字", "a b"])
        #expect(String(buffer: buffer) == "*3\r\n$3\r\nSET\r\n$6\r\n名字\r\n$3\r\na b\r\n")
    }
}
