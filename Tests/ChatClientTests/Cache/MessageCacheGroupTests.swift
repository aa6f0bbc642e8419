import ChatClient
import ChatProtocol
import Foundation
import Testing

/// Groups, mutes and read receipts are in the cache, so a restart shows them before the server
/// answers; a group's messages are kept under its negated id, apart from every friend's.
@Suite struct MessageCacheGroupTests {
    static let me: UserID = 1

    static func withCache(_ body: (MessageCache, String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("groups-\(UUID().uuidString).sqlite")
            .path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        try body(try MessageCache(path: path), path)
    }

    static func groupMessage(_ seq: UInt64, in group: GroupID, from sender: UserID, _ text: String) -> ChatMessage {
        var message = ChatMessage(
            id: group * 1_000 + Int64(seq),
            clientMessageID: "g\(group)-\(seq)",
            senderID: sender,
            recipientID: 0,
            seq: seq,
            text: text,
            sentAtMs: Int64(seq)
        )
        message.groupID = group
        return message
    }

    @Test func aGroupIsKeptWithItsPlaceBadgesAndPreviewAcrossARestart() throws {
        try Self.withCache { cache, path in
            var preview = Self.groupMessage(5, in: 7, from: 2, "@alice lunch?")
            preview.mentions = [Self.me]
            let listed = GroupConversation(
                group: GroupSummary(id: 7, name: "Lunch", announcement: "Fridays", ownerID: 2, memberCount: 3),
                lastMessage: preview,
                lastSeq: 9,
                readSeq: 4,
                unread: 3,
                mentioned: true,
                muted: true,
                joinedSeq: 2
            )
            try cache.saveGroups([listed], me: Self.me)
            #expect(try MessageCache(path: path).groups() == [listed])
            // A group is not a friend's conversation.
            #expect(try cache.conversations().isEmpty)

            // The listing moved the last seq on before its message came; when it does, it is the
            // preview. The read mark and last seq never move back.
            try cache.apply(messages: [Self.groupMessage(9, in: 7, from: 3, "ok")], me: Self.me)
            var older = listed
            older.lastSeq = 3
            older.readSeq = 1
            older.lastMessage = nil
            try cache.saveGroups([older], me: Self.me)
            let group = try #require(try cache.groups().first)
            #expect(group.lastMessage?.seq == 9 && group.lastMessage?.groupID == 7)
            #expect(group.lastSeq == 9 && group.readSeq == 4)
            #expect(try cache.history(peer: ConversationKey.group(7).rawValue).map(\.seq) == [9, 5])
            #expect(try cache.history(peer: ConversationKey.group(7).rawValue).last?.mentions == [Self.me])
        }
    }

    /// A listing's last message comes without its reply's excerpt (and with its text cut): the
    /// whole message, when a catch-up brings it, fills both in, so the quote does not read as
    /// recalled.
    @Test func theWholeMessageFillsInAListedPreviewsQuote() throws {
        try Self.withCache { cache, _ in
            var whole = Self.groupMessage(5, in: 7, from: 2, "Of course! The more the merrier")
            whole.reply = ReplyQuote(seq: 4, senderID: 3, excerpt: "can I bring a friend?")
            var preview = whole
            preview.reply?.excerpt = ""
            preview.text = "Of course!"
            let listed = GroupConversation(
                group: GroupSummary(id: 7, name: "Hike", ownerID: 2, memberCount: 3),
                lastMessage: preview,
                lastSeq: 5
            )
            try cache.saveGroups([listed], me: Self.me)
            try cache.apply(messages: [whole], me: Self.me)
            let stored = try #require(try cache.history(peer: ConversationKey.group(7).rawValue).first)
            #expect(stored.text == whole.text)
            #expect(stored.reply == whole.reply)
        }
    }

    @Test func aGroupsPositionMovesOnlyForward() throws {
        try Self.withCache { cache, _ in
            try cache.saveGroups(
                [GroupConversation(group: GroupSummary(id: 7, name: "g", ownerID: 2, memberCount: 2))],
                me: 1
            )
            #expect(try cache.positions() == [.group(7): 0])
            try cache.apply(
                messages: [Self.groupMessage(1, in: 7, from: 2, "hi"), Self.groupMessage(2, in: 7, from: 2, "all")],
                positions: [.group(7): 2],
                me: Self.me
            )
            try cache.apply(messages: [], positions: [.group(7): 1], me: Self.me)
            #expect(try cache.positions() == [.group(7): 2])
        }
    }

    @Test func aFriendsPositionIsKeptApartFromAGroupsWithTheSameNumber() throws {
        try Self.withCache { cache, path in
            let fromFriend = ChatMessage(
                id: 1,
                clientMessageID: "a",
                senderID: 7,
                recipientID: Self.me,
                seq: 1,
                text: "hi",
                sentAtMs: 1
            )
            try cache.apply(messages: [fromFriend], positions: [.direct(7): 1], me: Self.me)
            let inGroup = Self.groupMessage(1, in: 7, from: 2, "hi")
            try cache.apply(messages: [inGroup], positions: [.group(7): 1], me: Self.me)
            try cache.apply(messages: [], positions: [.direct(7): 4, .group(7): 0], me: Self.me)
            #expect(try MessageCache(path: path).positions() == [.direct(7): 4, .group(7): 1])
            // A key no conversation has is not kept.
            try cache.apply(messages: [], positions: [ConversationKey(rawValue: 0): 3], me: Self.me)
            #expect(try cache.positions().count == 2)
        }
    }

    @Test func theOutboxKeepsAGroupMessagesMentionsAndReply() throws {
        try Self.withCache { cache, path in
            let queued = OutboxMessage(
                clientMessageID: "x",
                peerID: ConversationKey.group(7).rawValue,
                text: "@bob @carol see above",
                createdAtMs: 1,
                mentions: [2, 3],
                mentionsAll: true,
                replyToSeq: 5
            )
            try cache.enqueue(queued)
            let back = try MessageCache(path: path).outbox()
            #expect(back == [queued])
            #expect(back.first?.conversation == .group(7))
        }
    }

    @Test func muteAndReadReceiptsAreKept() throws {
        try Self.withCache { cache, _ in
            try cache.apply(
                messages: [
                    ChatMessage(
                        id: 1,
                        clientMessageID: "a",
                        senderID: 1,
                        recipientID: 2,
                        seq: 1,
                        text: "hi",
                        sentAtMs: 1
                    )
                ],
                peerReadMarks: [(peer: 2, seq: 1)],
                mutes: [(conversation: .direct(2), muted: true)],
                me: Self.me
            )
            // A receipt never moves back...
            try cache.apply(messages: [], peerReadMarks: [(peer: 2, seq: 0)], me: Self.me)
            var conversation = try #require(try cache.conversations().first)
            #expect(conversation.muted && conversation.peerReadSeq == 1)
            // ...but the server's list says 0 once either side turned receipts off.
            conversation.peerReadSeq = 0
            conversation.muted = false
            try cache.mergeConversations([conversation], me: Self.me)
            conversation = try #require(try cache.conversations().first)
            #expect(!conversation.muted && conversation.peerReadSeq == 0)
        }
    }

    @Test func idsNoConversationCanHaveAreNotStoredAndCrashNothing() throws {
        try Self.withCache { cache, _ in
            var negative = Self.groupMessage(1, in: 7, from: 2, "negative group")
            negative.groupID = -7
            var lowest = Self.groupMessage(1, in: 7, from: 2, "Int64.min")
            lowest.groupID = .min
            let noPeer = ChatMessage(
                id: 9,
                clientMessageID: "n",
                senderID: Self.me,
                recipientID: 0,
                seq: 1,
                text: "?",
                sentAtMs: 1
            )
            var farRecall = Self.groupMessage(2, in: 7, from: 2, "")
            farRecall.kind = .recall
            farRecall.recalledSeq = .max
            try cache.apply(messages: [negative, lowest, noPeer, farRecall], me: Self.me)
            #expect(try cache.messageCount() == 0)
            try cache.saveGroups(
                [GroupConversation(group: GroupSummary(id: .min, name: "x", ownerID: 1, memberCount: 1))],
                me: 1
            )
            #expect(try cache.groups().isEmpty)
        }
    }
}
