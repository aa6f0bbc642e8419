import ChatProtocol
import Foundation
import Testing

@testable import ChatClient

/// A cache written by a previous version opens in this one: the "v3 groups" migration adds its
/// columns and tables around what is there, and what was there reads as it did; "v4 positions"
/// gives every conversation a position, a friend's from the messages the old update log brought.
@Suite struct MessageCacheMigrationTests {
    @Test func aCacheFromBeforeGroupsKeepsItsMessagesOutboxAndSearch() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString).sqlite")
            .path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        do {
            // The previous version's schema, with what it wrote (its own statements, by hand).
            let old = try MessageCache(path: path, migratedUpTo: "v2 drafts")
            try old.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO messages(id, client_msg_id, sender_id, recipient_id, peer_id, seq, text, sent_at_ms)
                        VALUES (1, 'a', 2, 1, 2, 1, 'see you at lunch', 10), (2, 'b', 1, 2, 2, 2, 'yes', 20);
                        INSERT INTO conversations(peer_id, last_seq, read_seq, last_message_id) VALUES (2, 2, 2, 2);
                        INSERT INTO outbox(client_msg_id, peer_id, text, created_at_ms) VALUES ('q', 2, 'queued', 30);
                        INSERT INTO drafts(peer_id, text) VALUES (2, 'half typed');
                        """
                )
            }
        }

        let cache = try MessageCache(path: path)
        let history = try cache.history(peer: 2)
        #expect(history.map(\.text) == ["yes", "see you at lunch"])
        let first = try #require(history.last)
        #expect(first.groupID == 0 && first.kind == .text && first.mentions.isEmpty && !first.mentionsAll)
        #expect(first.reply == nil && !first.recalled && first.recalledSeq == 0 && first.change == nil)
        #expect(try cache.search("lunch").map(\.id) == [1])

        let conversation = try #require(try cache.conversations().first)
        #expect(conversation.peerID == 2 && conversation.lastMessage?.id == 2)
        #expect(!conversation.muted && conversation.peerReadSeq == 0)

        #expect(
            try cache.outbox()
                == [OutboxMessage(clientMessageID: "q", peerID: 2, text: "queued", createdAtMs: 30)]
        )
        #expect(try cache.outbox().first?.conversation == .direct(2))
        #expect(try cache.drafts() == [2: "half typed"])
        #expect(try cache.groups().isEmpty)
        // The log brought bob's messages up to seq 2: his conversation goes on from there.
        #expect(try cache.positions() == [.direct(2): 2])

        // The old rows take part in what is new: a recall of one, kept out of the index.
        var recall = ChatMessage(
            id: 3,
            clientMessageID: "c",
            senderID: 2,
            recipientID: 1,
            seq: 3,
            text: "",
            sentAtMs: 40
        )
        recall.kind = .recall
        recall.recalledSeq = 1
        #expect(try cache.apply(messages: [recall], me: 1) == [MessageWithdrawal(conversation: .direct(2), seq: 1)])
        #expect(try cache.search("lunch").isEmpty)
    }

    @Test func aCacheFromBeforeProtocol3KeepsItsGroupPositionsAndGivesFriendsTheirs() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString).sqlite")
            .path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        do {
            // Written by the version with groups: bob's messages up to 5 with a hole at 3 (a
            // compacted log), carol's conversation with no message of its own here (a listing's
            // read mark), group 7 caught up to 4.
            let old = try MessageCache(path: path, migratedUpTo: "v3 groups")
            try old.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO messages(id, client_msg_id, sender_id, recipient_id, peer_id, seq, text, sent_at_ms)
                        VALUES (1, 'a', 2, 1, 2, 1, 'one', 10), (2, 'b', 1, 2, 2, 2, 'two', 20),
                            (4, 'd', 2, 1, 2, 4, 'four', 40), (5, 'e', 2, 1, 2, 5, 'five', 50);
                        INSERT INTO conversations(peer_id, last_seq, read_seq, last_message_id)
                        VALUES (2, 5, 5, 5), (3, 0, 2, NULL), (-7, 6, 4, NULL), (-8, 1, 0, NULL);
                        INSERT INTO group_chats(id, name, owner_id, member_count, synced_seq)
                        VALUES (7, 'lunch', 2, 3, 4), (8, 'new', 2, 2, 0);
                        """
                )
            }
        }

        let cache = try MessageCache(path: path)
        let positions = try cache.positions()
        #expect(positions == [.direct(2): 5, .direct(3): 0, .group(7): 4, .group(8): 0])
        #expect(try Set(cache.groups().map(\.group.id)) == [7, 8])
        // And they move on as any other position does (never back).
        try cache.apply(messages: [], positions: [.direct(2): 6, .group(7): 3], me: 1)
        let moved = try cache.positions()
        #expect(moved[.direct(2)] == 6 && moved[.group(7)] == 4)
    }
}
