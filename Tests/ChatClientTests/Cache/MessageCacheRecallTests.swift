import ChatClient
import ChatProtocol
import Foundation
import Testing

/// A recall withdraws a message from the cache as it does from the server: its text, the search
/// index's copy of it, and the excerpts of the replies that quote it. The recall line is kept,
/// so the conversation's seqs stay gapless, but search does not find it.
@Suite struct MessageCacheRecallTests {
    static let me: UserID = 1
    static let group: GroupID = 7

    static func line(
        _ seq: UInt64,
        from sender: UserID,
        _ text: String,
        kind: WireChatMessage.Kind = .text,
        replyTo quote: ReplyQuote? = nil,
        recalling recalledSeq: UInt64 = 0
    ) -> ChatMessage {
        var message = ChatMessage(
            id: 100 + Int64(seq),
            clientMessageID: "c\(seq)",
            senderID: sender,
            recipientID: 0,
            seq: seq,
            text: text,
            sentAtMs: 1_000 + Int64(seq)
        )
        message.groupID = group
        message.kind = kind
        message.reply = quote
        message.recalledSeq = recalledSeq
        return message
    }

    static func withCache(_ body: (MessageCache) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recall-\(UUID().uuidString).sqlite")
            .path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        try body(try MessageCache(path: path))
    }

    @Test func aRecallWithdrawsTheTextItsSearchEntryAndTheQuotesOfIt() throws {
        try Self.withCache { cache in
            let key = ConversationKey.group(Self.group)
            try cache.apply(
                messages: [
                    Self.line(1, from: 2, "lunch at noon?"),
                    Self.line(
                        2,
                        from: 3,
                        "sounds good",
                        replyTo: ReplyQuote(seq: 1, senderID: 2, excerpt: "lunch at noon?")
                    ),
                ],
                me: Self.me
            )
            #expect(try cache.searchCount("lunch", peer: key.rawValue) == 1)

            let withdrawn = try cache.apply(
                messages: [Self.line(3, from: 2, "bob recalled a message", kind: .recall, recalling: 1)],
                me: Self.me
            )
            #expect(withdrawn == [MessageWithdrawal(conversation: key, seq: 1)])

            let history = try cache.history(peer: key.rawValue)
            #expect(history.map(\.seq) == [3, 2, 1], "the recall line is kept: no gap")
            let original = try #require(history.first { $0.seq == 1 })
            #expect(original.recalled && original.text.isEmpty)
            #expect(history.first { $0.seq == 2 }?.reply == ReplyQuote(seq: 1, senderID: 2, excerpt: ""))
            #expect(history.first { $0.seq == 3 }?.recalledSeq == 1)
            // The index forgot the old text (the trigger gave FTS5 the exact text to delete)...
            #expect(try cache.search("lunch").isEmpty)
            #expect(try cache.searchCount("noon") == 0)
            // ...still finds the rest, and never the recall line itself.
            #expect(try cache.search("sounds").map(\.seq) == [2])
            #expect(try cache.searchCount("recalled") == 0)

            // Applied again (a sync page, a catch-up): nothing new to tell.
            let again = try cache.apply(
                messages: [Self.line(3, from: 2, "bob recalled a message", kind: .recall, recalling: 1)],
                me: Self.me
            )
            #expect(again.isEmpty)
        }
    }

    @Test func aRecallAndItsOriginalInOneBatchInEitherOrder() throws {
        try Self.withCache { cache in
            let withdrawn = try cache.apply(
                messages: [
                    Self.line(5, from: 2, "bob recalled a message", kind: .recall, recalling: 4),
                    Self.line(4, from: 2, "oops, wrong chat"),
                ],
                me: Self.me
            )
            #expect(withdrawn == [MessageWithdrawal(conversation: .group(Self.group), seq: 4)])
            let original = try cache.cachedMessage(seq: 4, in: .group(Self.group))
            #expect(original?.recalled == true && original?.text == "")
            #expect(try cache.searchCount("wrong chat") == 0)
        }
    }

    @Test func onlyTheSenderRecallsAndAMessageTheServerSendsRecalledStaysSo() throws {
        try Self.withCache { cache in
            try cache.apply(messages: [Self.line(1, from: 3, "carol's words")], me: Self.me)
            // A recall line from someone else withdraws nothing.
            try cache.apply(
                messages: [Self.line(2, from: 2, "bob recalled a message", kind: .recall, recalling: 1)],
                me: Self.me
            )
            #expect(try cache.cachedMessage(seq: 1, in: .group(Self.group))?.text == "carol's words")

            // A copy of the message as the server now has it (recalled, text gone) withdraws the
            // one cached before the recall.
            var recalled = Self.line(1, from: 3, "")
            recalled.recalled = true
            let withdrawn = try cache.apply(messages: [recalled], me: Self.me)
            #expect(withdrawn == [MessageWithdrawal(conversation: .group(Self.group), seq: 1)])
            #expect(try cache.searchCount("carol") == 0)
        }
    }

    @Test func aOneToOneRecallIsKeptUnderThePeer() throws {
        try Self.withCache { cache in
            var mine = ChatMessage(
                id: 1,
                clientMessageID: "a",
                senderID: Self.me,
                recipientID: 2,
                seq: 1,
                text: "typo",
                sentAtMs: 1
            )
            try cache.apply(messages: [mine], me: Self.me)
            mine = ChatMessage(
                id: 2,
                clientMessageID: "b",
                senderID: Self.me,
                recipientID: 2,
                seq: 2,
                text: "",
                sentAtMs: 2
            )
            mine.kind = .recall
            mine.recalledSeq = 1
            let withdrawn = try cache.apply(messages: [mine], me: Self.me)
            #expect(withdrawn == [MessageWithdrawal(conversation: .direct(2), seq: 1)])
            #expect(try cache.history(peer: 2).map(\.recalled) == [false, true])
        }
    }
}
