import ChatProtocol
import ChatServices
import Foundation
import Testing

/// What a message store works on in a scenario: the store, and the users and social stores of
/// the same database (messages pass only between friends).
public struct MessageStoreFixture: Sendable {
    public let store: any MessageStore
    public let users: any UserStore
    public let social: any SocialStore

    public init(store: any MessageStore, users: any UserStore, social: any SocialStore) {
        self.store = store
        self.users = users
        self.social = social
    }

    public func makeUser(_ name: String, nowMs: Int64 = 1_000) async throws -> UserRecord {
        try await users.createUser(
            username: name,
            email: "\(name.lowercased())@example.com",
            passwordHash: "not-a-real-hash-\(name)",
            nowMs: nowMs
        )
    }

    /// Makes every two of `people` friends.
    public func befriend(_ people: UserRecord...) async throws {
        for (index, one) in people.enumerated() {
            for other in people[(index + 1)...] {
                try await social.makeFriends(one.id, other.id, nowMs: 1_000)
            }
        }
    }
}

/// One behaviour every `MessageStore` must have, run against each (SQLite, PostgreSQL) by their
/// test suites on a fresh database.
public struct MessageStoreScenario: Sendable, CustomTestStringConvertible {
    public let name: String
    public let run: @Sendable (MessageStoreFixture) async throws -> Void

    init(_ name: String, _ run: @escaping @Sendable (MessageStoreFixture) async throws -> Void) {
        self.name = name
        self.run = run
    }

    public var testDescription: String { name }
}

/// The message store's contract: numbering, resends, history, the update log, read marks,
/// conversations, refusals, concurrency.
public enum MessageStoreContract {
    /// Commits a message from `sender` to `recipient`; the client id defaults to a fresh one.
    @discardableResult
    static func send(
        _ store: any MessageStore,
        from sender: UserRecord,
        to recipient: UserRecord,
        _ text: String,
        at sentAtMs: Int64 = 1_000,
        clientID: String = UUID().uuidString
    ) async throws -> CommittedMessage {
        try await store.commit(
            NewMessage(
                senderID: sender.id,
                recipientID: recipient.id,
                clientMessageID: clientID,
                text: text,
                sentAtMs: sentAtMs
            )
        )
    }

    public static let scenarios: [MessageStoreScenario] = [
        MessageStoreScenario("seqsNumberEachConversationAndUpdateIDsAreGaplessPerUser") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            try await db.befriend(alice, bob, carol)

            let first = try await Self.send(db.store, from: alice, to: bob, "hi bob", at: 1_000, clientID: "a-1")
            let second = try await Self.send(db.store, from: bob, to: alice, "hi alice", at: 2_000, clientID: "b-1")
            let third = try await Self.send(
                db.store,
                from: alice,
                to: bob,
                "how are you? 你好 👋",
                at: 3_000,
                clientID: "a-2"
            )
            let other = try await Self.send(db.store, from: alice, to: carol, "hi carol", at: 4_000, clientID: "a-3")

            #expect([first, second, third, other].allSatisfy { !$0.duplicate })
            #expect([first.message.seq, second.message.seq, third.message.seq] == [1, 2, 3])
            // Another conversation has its own numbering.
            #expect(other.message.seq == 1)

            // Each user's update log counts their own messages, sent or received, from 1.
            #expect(first.senderUpdateID == 1 && first.recipientUpdateID == 1)
            #expect(second.senderUpdateID == 2 && second.recipientUpdateID == 2)
            #expect(third.senderUpdateID == 3 && third.recipientUpdateID == 3)
            #expect(other.senderUpdateID == 4 && other.recipientUpdateID == 1)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 4)
            #expect(try await db.store.latestUpdateID(of: bob.id) == 3)
            #expect(try await db.store.latestUpdateID(of: carol.id) == 1)

            // Message ids are server-wide and increasing.
            let ids = [first, second, third, other].map(\.message.id)
            #expect(ids == ids.sorted() && Set(ids).count == 4)

            // The record is what was sent.
            #expect(third.message.senderID == alice.id)
            #expect(third.message.recipientID == bob.id)
            #expect(third.message.clientMessageID == "a-2")
            #expect(third.message.text == "how are you? 你好 👋")
            #expect(third.message.sentAtMs == 3_000)

            let aliceLog = try await db.store.updates(of: alice.id, after: 0, limit: 100)
            #expect(aliceLog.map(\.updateID) == [1, 2, 3, 4])
            let carolLog = try await db.store.updates(of: carol.id, after: 0, limit: 100)
            #expect(carolLog == [UpdateRecord.message(updateID: 1, other.message)])
        },
        MessageStoreScenario("resendWithTheSameClientIDIsADuplicate") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.befriend(alice, bob)

            let original = try await Self.send(
                db.store,
                from: alice,
                to: bob,
                "only once",
                at: 1_000,
                clientID: "client-1"
            )
            let resend = try await Self.send(
                db.store,
                from: alice,
                to: bob,
                "only once (retry)",
                at: 5_000,
                clientID: "client-1"
            )

            #expect(!original.duplicate)
            #expect(resend.duplicate)
            #expect(resend.message == original.message)
            #expect(resend.message.text == "only once")
            #expect(resend.senderUpdateID == original.senderUpdateID)
            #expect(resend.recipientUpdateID == original.recipientUpdateID)

            // Nothing new was logged or stored.
            #expect(try await db.store.latestUpdateID(of: alice.id) == 1)
            #expect(try await db.store.latestUpdateID(of: bob.id) == 1)
            #expect(try await db.store.updates(of: bob.id, after: 0, limit: 100).count == 1)
            #expect(
                try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, limit: 100) == [original.message]
            )

            // The same client id from another sender is a different message.
            let fromBob = try await Self.send(db.store, from: bob, to: alice, "mine", at: 6_000, clientID: "client-1")
            #expect(!fromBob.duplicate)
            #expect(fromBob.message.id != original.message.id)
            #expect(fromBob.message.seq == 2)
        },
        MessageStoreScenario("historyPagesBackwardsWithBeforeSeq") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            try await db.befriend(alice, bob, carol)

            var sent: [MessageRecord] = []
            for index in 1...7 {
                let (from, to) = index.isMultiple(of: 2) ? (bob, alice) : (alice, bob)
                sent.append(
                    try await Self.send(db.store, from: from, to: to, "message \(index)", at: Int64(index) * 1_000)
                        .message
                )
            }
            try await Self.send(db.store, from: alice, to: carol, "elsewhere", at: 10_000)

            let newest = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, limit: 3)
            #expect(newest.map(\.seq) == [7, 6, 5])
            #expect(newest == Array(sent.reversed().prefix(3)))

            let older = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 5, limit: 3)
            #expect(older.map(\.seq) == [4, 3, 2])
            let oldest = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 2, limit: 3)
            #expect(oldest.map(\.seq) == [1])
            #expect(oldest.first?.text == "message 1")
            #expect(try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 1, limit: 3).isEmpty)

            // Both sides see the same conversation; other conversations stay out of it.
            let all = try await db.store.history(of: bob.id, with: alice.id, beforeSeq: 0, limit: 100)
            #expect(all == Array(sent.reversed()))
            let withCarol = try await db.store.history(of: alice.id, with: carol.id, beforeSeq: 0, limit: 100)
            #expect(withCarol.map(\.text) == ["elsewhere"])
            #expect(try await db.store.history(of: bob.id, with: carol.id, beforeSeq: 0, limit: 100).isEmpty)

            // A beforeSeq past the end reads from the newest.
            let pastEnd = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 1_000, limit: 2)
            #expect(pastEnd.map(\.seq) == [7, 6])
        },
        MessageStoreScenario("updatesAfterReturnMessagesAndReadMarksInOrder") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.befriend(alice, bob)

            let m1 = try await Self.send(db.store, from: alice, to: bob, "one", at: 1_000)
            let m2 = try await Self.send(db.store, from: alice, to: bob, "two", at: 2_000)
            let read = try await db.store.markRead(user: bob.id, peer: alice.id, seq: 2)
            #expect(read == UpdateRecord.read(updateID: 3, peerID: alice.id, seq: 2))
            let m3 = try await Self.send(db.store, from: bob, to: alice, "three", at: 3_000)

            let bobLog = try await db.store.updates(of: bob.id, after: 0, limit: 100)
            let expectedBobLog: [UpdateRecord] = [
                .message(updateID: 1, m1.message),
                .message(updateID: 2, m2.message),
                .read(updateID: 3, peerID: alice.id, seq: 2),
                .message(updateID: 4, m3.message),
            ]
            #expect(bobLog == expectedBobLog)
            #expect(try await db.store.latestUpdateID(of: bob.id) == 4)

            #expect(try await db.store.updates(of: bob.id, after: 2, limit: 100).map(\.updateID) == [3, 4])
            #expect(try await db.store.updates(of: bob.id, after: 1, limit: 2).map(\.updateID) == [2, 3])
            #expect(try await db.store.updates(of: bob.id, after: 4, limit: 100).isEmpty)

            // Alice's log has only the messages: Bob's read mark is his own.
            let aliceLog = try await db.store.updates(of: alice.id, after: 0, limit: 100)
            let expectedAliceLog: [UpdateRecord] = [
                .message(updateID: 1, m1.message),
                .message(updateID: 2, m2.message),
                .message(updateID: 3, m3.message),
            ]
            #expect(aliceLog == expectedAliceLog)
        },
        MessageStoreScenario("markReadMovesForwardOnlyAndNeverPastTheLastSeq") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            try await db.befriend(alice, bob, carol)

            for index in 1...3 {
                try await Self.send(db.store, from: alice, to: bob, "m\(index)", at: Int64(index) * 1_000)
            }
            // Bob has received 3 (updates 1...3).
            #expect(
                try await db.store.markRead(user: bob.id, peer: alice.id, seq: 2)
                    == UpdateRecord.read(updateID: 4, peerID: alice.id, seq: 2)
            )
            // Backwards and standing still log nothing.
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: 1) == nil)
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: 2) == nil)
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: 0) == nil)
            // Past the end is clamped to the last message.
            #expect(
                try await db.store.markRead(user: bob.id, peer: alice.id, seq: 99)
                    == UpdateRecord.read(updateID: 5, peerID: alice.id, seq: 3)
            )
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: 100) == nil)
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: .max) == nil)
            #expect(try await db.store.latestUpdateID(of: bob.id) == 5)

            // The sender has read her own messages already.
            #expect(try await db.store.markRead(user: alice.id, peer: bob.id, seq: 3) == nil)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 3)

            // No conversation, nothing to read.
            #expect(try await db.store.markRead(user: carol.id, peer: alice.id, seq: 5) == nil)
            #expect(try await db.store.latestUpdateID(of: carol.id) == 0)

            let conversation = try #require(try await db.store.conversations(of: bob.id).first)
            #expect(conversation.readSeq == 3)
            #expect(conversation.unread == 0)
        },
        MessageStoreScenario("conversationsCountUnreadAfterTheReadMark") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            try await db.befriend(alice, bob, carol)

            #expect(try await db.store.conversations(of: alice.id).isEmpty)

            for index in 1...3 {
                try await Self.send(db.store, from: alice, to: bob, "a\(index)", at: Int64(index) * 1_000)
            }
            // Bob has 3 unread; Alice, who sent them, none.
            var bobs = try await db.store.conversations(of: bob.id)
            #expect(bobs.count == 1)
            #expect(bobs.first?.peerID == alice.id)
            #expect(bobs.first?.lastSeq == 3)
            #expect(bobs.first?.readSeq == 0)
            #expect(bobs.first?.unread == 3)
            var alices = try await db.store.conversations(of: alice.id)
            #expect(alices.first?.peerID == bob.id)
            #expect(alices.first?.readSeq == 3)
            #expect(alices.first?.unread == 0)

            // Bob reads one, then replies: sending advances his own read mark to his message.
            _ = try await db.store.markRead(user: bob.id, peer: alice.id, seq: 1)
            bobs = try await db.store.conversations(of: bob.id)
            #expect(bobs.first?.unread == 2)
            let reply = try await Self.send(db.store, from: bob, to: alice, "b1", at: 4_000)
            bobs = try await db.store.conversations(of: bob.id)
            #expect(bobs.first?.lastSeq == 4)
            #expect(bobs.first?.readSeq == 4)
            #expect(bobs.first?.unread == 0)
            #expect(bobs.first?.lastMessage == reply.message)

            // Alice now has Bob's reply unread.
            alices = try await db.store.conversations(of: alice.id)
            #expect(alices.first?.lastSeq == 4)
            #expect(alices.first?.readSeq == 3)
            #expect(alices.first?.unread == 1)

            // A newer conversation with Carol comes first.
            let toCarol = try await Self.send(db.store, from: carol, to: alice, "c1", at: 9_000)
            alices = try await db.store.conversations(of: alice.id)
            #expect(alices.map(\.peerID) == [carol.id, bob.id])
            #expect(alices.first?.lastMessage == toCarol.message)
            #expect(alices.first?.unread == 1)
            #expect(alices.last?.lastMessage == reply.message)
            #expect(try await db.store.conversations(of: carol.id).map(\.unread) == [0])
        },
        MessageStoreScenario("messageToAMissingUserFailsAloneAndLeavesNoTrace") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.befriend(alice, bob)
            let nobody: UserID = 9_999

            let outcomes = await withTaskGroup(of: (Int, Result<CommittedMessage, Error>).self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let recipient = index == 7 ? nobody : bob.id
                        do {
                            let committed = try await db.store.commit(
                                NewMessage(
                                    senderID: alice.id,
                                    recipientID: recipient,
                                    clientMessageID: "c\(index)",
                                    text: "text \(index)",
                                    sentAtMs: 1_000
                                )
                            )
                            return (index, .success(committed))
                        } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                var outcomes: [Int: Result<CommittedMessage, Error>] = [:]
                for await (index, outcome) in group { outcomes[index] = outcome }
                return outcomes
            }

            let failure = try #require(outcomes[7])
            #expect(throws: ChatError.self) { try failure.get() }
            var seqs: [UInt64] = []
            for index in 0..<20 where index != 7 {
                seqs.append(try #require(outcomes[index]).get().message.seq)
            }
            let expectedSeqs: [UInt64] = Array(1...19)
            #expect(seqs.sorted() == expectedSeqs)
            // The failed message was rolled back whole: no message, no update, no seq used.
            #expect(try await db.store.latestUpdateID(of: alice.id) == 19)
            let stored = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, limit: 100)
            #expect(stored.count == 19)
            #expect(!stored.contains { $0.clientMessageID == "c7" })
            #expect(try await db.store.history(of: alice.id, with: nobody, beforeSeq: 0, limit: 100).isEmpty)
        },
        MessageStoreScenario("messagesPassOnlyBetweenFriendsNeitherOfWhomHasBlockedTheOther") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            let dave = try await db.makeUser("dave")
            try await db.befriend(alice, bob)
            try await db.befriend(alice, dave)
            try await db.social.setBlocked(blocker: dave.id, blocked: alice.id, true)

            // Sent together, so they share batches: the refused ones fail alone, the rest commit.
            let outcomes = await withTaskGroup(of: (String, Result<CommittedMessage, Error>).self) { group in
                for (index, recipient) in [bob, carol, dave, bob, carol, bob].enumerated() {
                    group.addTask {
                        do {
                            return (
                                recipient.username,
                                .success(
                                    try await Self.send(
                                        db.store,
                                        from: alice,
                                        to: recipient,
                                        "m\(index)",
                                        clientID: "m\(index)"
                                    )
                                )
                            )
                        } catch {
                            return (recipient.username, .failure(error))
                        }
                    }
                }
                return await group.reduce(into: [(String, Result<CommittedMessage, Error>)]()) { $0.append($1) }
            }
            for (name, outcome) in outcomes {
                switch (name, outcome) {
                case ("bob", .success): break
                case ("carol", .failure(let error as ChatError)): #expect(error.code == .notFriends)
                case ("dave", .failure(let error as ChatError)):
                    #expect(error.code == .blocked, "blocked by the recipient")
                default: Issue.record("\(name): \(outcome)")
                }
            }
            // Refused messages left nothing: no seq, no update, no conversation.
            #expect(
                try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, limit: 10).map(\.seq) == [3, 2, 1]
            )
            #expect(try await db.store.latestUpdateID(of: alice.id) == 3)
            #expect(try await db.store.latestUpdateID(of: carol.id) == 0)
            #expect(try await db.store.conversations(of: alice.id).map(\.peerID) == [bob.id])

            // A block either way, and a removal, stop the next message.
            try await db.social.setBlocked(blocker: alice.id, blocked: bob.id, true)
            await #expect(throws: ChatError(.blocked, "This conversation is blocked.")) {
                try await Self.send(db.store, from: bob, to: alice, "blocked")
            }
            try await db.social.setBlocked(blocker: alice.id, blocked: bob.id, false)
            try await Self.send(db.store, from: bob, to: alice, "unblocked")
            _ = try await db.social.removeFriendship(alice.id, bob.id)
            await #expect(throws: ChatError(.notFriends, "You can only message your friends.")) {
                try await Self.send(db.store, from: bob, to: alice, "removed")
            }
        },
        MessageStoreScenario("messageToSelfLogsOneUpdate") { db async throws in
            let alice = try await db.makeUser("alice")

            let note = try await Self.send(db.store, from: alice, to: alice, "note to self", at: 1_000)
            #expect(note.message.seq == 1)
            #expect(note.senderUpdateID == 1)
            #expect(note.recipientUpdateID == 1)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 1)
            let conversations = try await db.store.conversations(of: alice.id)
            #expect(conversations.map(\.peerID) == [alice.id])
            #expect(conversations.first?.unread == 0)
        },
        MessageStoreScenario("concurrentCommitsGetEverySeqExactlyOnce") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.befriend(alice, bob)

            let committed = try await withThrowingTaskGroup(of: CommittedMessage.self) { group in
                for index in 0..<100 {
                    group.addTask {
                        let (from, to) = index.isMultiple(of: 2) ? (alice, bob) : (bob, alice)
                        return try await db.store.commit(
                            NewMessage(
                                senderID: from.id,
                                recipientID: to.id,
                                clientMessageID: "concurrent-\(index)",
                                text: "message \(index)",
                                sentAtMs: 1_000 + Int64(index)
                            )
                        )
                    }
                }
                var committed: [CommittedMessage] = []
                for try await message in group { committed.append(message) }
                return committed
            }

            #expect(committed.count == 100)
            #expect(committed.allSatisfy { !$0.duplicate })
            let oneToHundred: [UInt64] = Array(1...100)
            #expect(committed.map(\.message.seq).sorted() == oneToHundred)
            #expect(Set(committed.map(\.message.id)).count == 100)

            // Both users' update logs are gapless too.
            let aliceUpdates = committed.map {
                $0.message.senderID == alice.id ? $0.senderUpdateID : $0.recipientUpdateID
            }
            let bobUpdates = committed.map { $0.message.senderID == bob.id ? $0.senderUpdateID : $0.recipientUpdateID }
            #expect(aliceUpdates.sorted() == oneToHundred)
            #expect(bobUpdates.sorted() == oneToHundred)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 100)
            #expect(try await db.store.latestUpdateID(of: bob.id) == 100)

            let history = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, limit: 200)
            #expect(history.map(\.seq) == Array(oneToHundred.reversed()))
            #expect(Set(history.map(\.clientMessageID)).count == 100)
            let conversation = try #require(try await db.store.conversations(of: bob.id).first)
            #expect(conversation.lastSeq == 100)
        },
        MessageStoreScenario("compactionKeepsTheNewestOfEachLogAndNumberingGoesOn") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            try await db.befriend(alice, bob, carol)
            for index in 1...30 { try await Self.send(db.store, from: alice, to: bob, "m\(index)") }
            try await Self.send(db.store, from: carol, to: alice, "short log")
            // Alice's log has 31 entries, bob's 30, carol's 1. Keeping 10, 7 rows a statement.
            #expect(try await db.store.compactUpdateLogs(keepingLast: 10, rowsPerStatement: 7) == 41)
            #expect(try await db.store.compactUpdateLogs(keepingLast: 10, rowsPerStatement: 7) == 0)
            #expect(try await db.store.updates(of: alice.id, after: 0, limit: 100).map(\.updateID) == Array(22...31))
            #expect(try await db.store.updates(of: bob.id, after: 0, limit: 100).map(\.updateID) == Array(21...30))
            #expect(try await db.store.updates(of: carol.id, after: 0, limit: 100).map(\.updateID) == [1])
            // The last id survives, so the next entry follows on from it.
            #expect(try await db.store.latestUpdateID(of: alice.id) == 31)
            let next = try await Self.send(db.store, from: bob, to: alice, "after")
            #expect(next.recipientUpdateID == 32 && next.senderUpdateID == 31)
        },
        MessageStoreScenario("conversationsComeInPagesByPeer") { db async throws in
            let alice = try await db.makeUser("alice")
            let others = [
                try await db.makeUser("bob"), try await db.makeUser("carol"), try await db.makeUser("dave"),
            ]
            for other in others {
                try await db.befriend(alice, other)
                try await Self.send(db.store, from: other, to: alice, "hi")
            }
            let peers = others.map(\.id).sorted()
            let first = try await db.store.conversations(of: alice.id, afterPeer: 0, limit: 2)
            #expect(first.map(\.peerID) == Array(peers.prefix(2)))
            let rest = try await db.store.conversations(of: alice.id, afterPeer: peers[1], limit: 2)
            #expect(rest.map(\.peerID) == [peers[2]])
            #expect(try await db.store.conversations(of: alice.id, afterPeer: peers[2], limit: 2).isEmpty)
        },
    ]
}
