import ChatClient
import Foundation
import Testing

/// The cache holds what a server sent; a server is not trusted, so nothing it sends may crash it.
@Suite struct MessageCacheTests {
    static func message(id: Int64, seq: UInt64, text: String) -> ChatMessage {
        ChatMessage(id: id, clientMessageID: "c\(id)", senderID: 2, recipientID: 1, seq: seq, text: text, sentAtMs: 1)
    }

    @Test func sequenceNumbersBeyondWhatSQLiteHoldsAreNotStoredAndCrashNothing() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID().uuidString).sqlite")
            .path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let cache = try MessageCache(path: path)
        try cache.apply(
            messages: [
                Self.message(id: 1, seq: 1, text: "fine"),
                Self.message(id: 2, seq: UInt64.max, text: "a lie"),
                Self.message(id: 3, seq: UInt64(Int64.max) + 1, text: "another"),
            ],
            readMarks: [(peer: 2, seq: UInt64.max)],
            me: 1
        )
        try cache.setReadSeq(UInt64.max, peer: 2)
        #expect(try cache.history(peer: 2, beforeSeq: UInt64.max, limit: 10).map(\.text) == ["fine"])
        #expect(try cache.history(peer: 2).map(\.text) == ["fine"])
    }
}
