import ChatClient
import Foundation
import Testing

/// Search finds words in every conversation or in one, newest first, and counts all matches
/// even when it lists only some.
@Suite struct MessageCacheSearchTests {
    static let me: UserID = 1

    static func message(_ id: Int64, with peer: UserID, seq: UInt64, _ text: String) -> ChatMessage {
        ChatMessage(
            id: id,
            clientMessageID: "c\(id)",
            senderID: peer,
            recipientID: me,
            seq: seq,
            text: text,
            sentAtMs: 1_000 + id
        )
    }

    @Test func countsEveryMatchAndSearchesOneConversation() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("search-\(UUID().uuidString).sqlite")
            .path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        let cache = try MessageCache(path: path)
        // 300 matches: 200 with bob (2), 100 with carol (3), and some that do not match.
        var messages: [ChatMessage] = []
        for seq in 1...220 {
            messages.append(Self.message(Int64(seq), with: 2, seq: UInt64(seq), seq <= 200 ? "lunch at \(seq)?" : "no"))
        }
        for seq in 1...100 {
            messages.append(Self.message(Int64(1_000 + seq), with: 3, seq: UInt64(seq), "Lunch tomorrow"))
        }
        try cache.apply(messages: messages, me: Self.me)

        let firstPage = try cache.search("lunch", limit: 100)
        #expect(firstPage.count == 100)
        #expect(firstPage.first?.id == 1_100, "newest first")
        #expect(try cache.searchCount("lunch") == 300)

        let withBob = try cache.search("lunch", peer: 2, limit: 100)
        #expect(withBob.count == 100 && withBob.allSatisfy { $0.peer(of: Self.me) == 2 })
        #expect(withBob.first?.id == 200)
        #expect(try cache.searchCount("lunch", peer: 2) == 200)
        #expect(try cache.searchCount("lunch", peer: 3) == 100)
        #expect(try cache.searchCount("lunch", peer: 4) == 0)
        // Short queries (LIKE, not the trigram index) are scoped and counted the same way.
        #expect(try cache.searchCount("no", peer: 2) == 20)
        #expect(try cache.search("no", peer: 3).isEmpty)
        #expect(try cache.searchCount("  ") == 0)
    }
}
