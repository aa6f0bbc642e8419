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
    /// "message 1" to "message 7", alice and bob in turn (alice first), a second apart.
    static func sendSevenInTurn(
        _ db: MessageStoreFixture,
        _ alice: UserRecord,
        _ bob: UserRecord
    ) async throws
        -> [MessageRecord]
    {
        var sent: [MessageRecord] = []
        for index in 1...7 {
            let (from, to) = index.isMultiple(of: 2) ? (bob, alice) : (alice, bob)
            sent.append(
                try await Self.send(db.store, from: from, to: to, "message \(index)", at: Int64(index) * 1_000).message
            )
        }
        return sent
    }

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
        MessageStoreScenario("seqsNumberEachConversationAndMessagesAreNotInTheUpdateLog") { db async throws in
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

            // A device follows each conversation by its seq: no message is in anybody's update
            // log, and each user's positions sum to their conversations' last seqs.
            for user in [alice, bob, carol] {
                #expect(try await db.store.latestUpdateID(of: user.id) == 0, "\(user.username)")
                #expect(try await db.store.updates(of: user.id, after: 0, limit: 100).isEmpty, "\(user.username)")
            }
            #expect(try await db.store.directSeqSum(of: alice.id) == 3 + 1)
            #expect(try await db.store.directSeqSum(of: bob.id) == 3)
            #expect(try await db.store.directSeqSum(of: carol.id) == 1)

            // Message ids are server-wide and increasing.
            let ids = [first, second, third, other].map(\.message.id)
            #expect(ids == ids.sorted() && Set(ids).count == 4)

            // The record is what was sent.
            #expect(third.message.senderID == alice.id)
            #expect(third.message.recipientID == bob.id)
            #expect(third.message.clientMessageID == "a-2")
            #expect(third.message.text == "how are you? 你好 👋")
            #expect(third.message.sentAtMs == 3_000)

            // Each side reads the same conversation, in seq order.
            #expect(
                try await db.store.history(of: bob.id, with: alice.id, beforeSeq: 0, afterSeq: nil, limit: 100)
                    == [third.message, second.message, first.message]
            )
            #expect(
                try await db.store.history(of: carol.id, with: alice.id, beforeSeq: 0, afterSeq: nil, limit: 100)
                    == [other.message]
            )
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
            #expect(resend == CommittedMessage(message: original.message, duplicate: true))

            // Nothing new was stored, no seq was taken, and nothing was logged.
            #expect(
                try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, afterSeq: nil, limit: 100)
                    == [original.message]
            )
            #expect(try await db.store.conversations(of: bob.id).map(\.lastSeq) == [1])
            #expect(try await db.store.directSeqSum(of: alice.id) == 1)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 0)
            #expect(try await db.store.updates(of: bob.id, after: 0, limit: 100).isEmpty)

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

            let sent = try await Self.sendSevenInTurn(db, alice, bob)
            try await Self.send(db.store, from: alice, to: carol, "elsewhere", at: 10_000)

            let newest = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, afterSeq: nil, limit: 3)
            #expect(newest.map(\.seq) == [7, 6, 5])
            #expect(newest == Array(sent.reversed().prefix(3)))

            let older = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 5, afterSeq: nil, limit: 3)
            #expect(older.map(\.seq) == [4, 3, 2])
            let oldest = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 2, afterSeq: nil, limit: 3)
            #expect(oldest.map(\.seq) == [1])
            #expect(oldest.first?.text == "message 1")
            #expect(
                try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 1, afterSeq: nil, limit: 3).isEmpty
            )

            // Both sides see the same conversation; other conversations stay out of it.
            let all = try await db.store.history(of: bob.id, with: alice.id, beforeSeq: 0, afterSeq: nil, limit: 100)
            #expect(all == Array(sent.reversed()))
            let withCarol = try await db.store.history(
                of: alice.id,
                with: carol.id,
                beforeSeq: 0,
                afterSeq: nil,
                limit: 100
            )
            #expect(withCarol.map(\.text) == ["elsewhere"])
            #expect(
                try await db.store.history(of: bob.id, with: carol.id, beforeSeq: 0, afterSeq: nil, limit: 100).isEmpty
            )

            // A beforeSeq past the end reads from the newest.
            let pastEnd = try await db.store.history(
                of: alice.id,
                with: bob.id,
                beforeSeq: 1_000,
                afterSeq: nil,
                limit: 2
            )
            #expect(pastEnd.map(\.seq) == [7, 6])
        },
        MessageStoreScenario("historyAfterSeqPagesForwardOldestFirst") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            try await db.befriend(alice, bob, carol)

            let sent = try await Self.sendSevenInTurn(db, alice, bob)
            try await Self.send(db.store, from: alice, to: carol, "elsewhere 1", at: 8_000)
            let fromCarol = try await Self.send(db.store, from: carol, to: alice, "elsewhere 2", at: 9_000).message

            // Oldest first from afterSeq + 1, at most limit; either side reads the same.
            let page = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, afterSeq: 2, limit: 3)
            #expect(page.map(\.seq) == [3, 4, 5])
            #expect(page == Array(sent[2..<5]))
            let rest = try await db.store.history(of: bob.id, with: alice.id, beforeSeq: 0, afterSeq: 5, limit: 3)
            #expect(rest == Array(sent[5...]), "the last page is short")
            #expect(
                try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, afterSeq: 7, limit: 3).isEmpty
            )
            #expect(
                try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, afterSeq: 1_000, limit: 3).isEmpty
            )

            // With a beforeSeq too: only what lies strictly between, still oldest first.
            let between = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 6, afterSeq: 2, limit: 10)
            #expect(between.map(\.seq) == [3, 4, 5])
            let cut = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 6, afterSeq: 2, limit: 2)
            #expect(cut.map(\.seq) == [3, 4], "the limit keeps the oldest")
            #expect(
                try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 3, afterSeq: 2, limit: 10).isEmpty
            )
            let pastEnd = try await db.store.history(
                of: alice.id,
                with: bob.id,
                beforeSeq: 1_000,
                afterSeq: 4,
                limit: 10
            )
            #expect(pastEnd.map(\.seq) == [5, 6, 7])

            // A device that has the first message catches up page by page: each message once, in order.
            var caughtUp = [sent[0]]
            for _ in 0..<10 {
                let position = caughtUp[caughtUp.count - 1].seq
                let next = try await db.store.history(
                    of: bob.id,
                    with: alice.id,
                    beforeSeq: 0,
                    afterSeq: position,
                    limit: 2
                )
                if next.isEmpty { break }
                caughtUp += next
            }
            #expect(caughtUp == sent)

            // Other conversations stay out of it.
            #expect(
                try await db.store.history(of: alice.id, with: carol.id, beforeSeq: 0, afterSeq: 1, limit: 10)
                    == [fromCarol]
            )
            #expect(
                try await db.store.history(of: bob.id, with: carol.id, beforeSeq: 0, afterSeq: 1, limit: 10).isEmpty
            )
        },
        MessageStoreScenario("directSeqSumAddsTheLastSeqsOfAUsersConversations") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            let dave = try await db.makeUser("dave")
            try await db.befriend(alice, bob, carol)
            #expect(try await db.store.directSeqSum(of: alice.id) == 0, "no conversations yet")

            for index in 1...3 { try await Self.send(db.store, from: alice, to: bob, "ab\(index)") }
            for index in 1...2 { try await Self.send(db.store, from: carol, to: alice, "ca\(index)") }
            try await Self.send(db.store, from: bob, to: carol, "bc")
            // Each user's conversations, whichever end of the pair they are.
            #expect(try await db.store.directSeqSum(of: alice.id) == 3 + 2)
            #expect(try await db.store.directSeqSum(of: bob.id) == 3 + 1)
            #expect(try await db.store.directSeqSum(of: carol.id) == 2 + 1)
            #expect(try await db.store.directSeqSum(of: dave.id) == 0, "a user without conversations")

            // It moves with every message, whoever sent it; a read mark or a refused message does not move it.
            try await Self.send(db.store, from: bob, to: alice, "ba")
            #expect(try await db.store.directSeqSum(of: alice.id) == 4 + 2)
            #expect(try await db.store.directSeqSum(of: bob.id) == 4 + 1)
            #expect(try await db.store.directSeqSum(of: carol.id) == 2 + 1)
            _ = try await db.store.markRead(user: alice.id, peer: bob.id, seq: .max)
            await #expect(throws: ChatError.self) { try await Self.send(db.store, from: alice, to: dave, "stranger") }
            #expect(try await db.store.directSeqSum(of: alice.id) == 4 + 2)
            #expect(try await db.store.directSeqSum(of: dave.id) == 0)

            // It is what a device's positions add up to: the last seqs of the conversation list.
            let lastSeqs = try await db.store.conversations(of: alice.id).map(\.lastSeq)
            #expect(lastSeqs.sorted() == [2, 4])
            #expect(try await db.store.directSeqSum(of: alice.id) == lastSeqs.reduce(0, +))
        },
        MessageStoreScenario("messagesLeaveTheUpdateLogEmptyAndItsFirstEntryIsOne") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.befriend(alice, bob)

            for index in 1...3 { try await Self.send(db.store, from: alice, to: bob, "a\(index)") }
            try await Self.send(db.store, from: bob, to: alice, "b1")
            for user in [alice, bob] {
                #expect(try await db.store.latestUpdateID(of: user.id) == 0, "\(user.username)")
                #expect(try await db.store.updates(of: user.id, after: 0, limit: 100).isEmpty, "\(user.username)")
            }

            // Alice's mark stands at her own last message (3); reading Bob's is her log's first entry.
            let read = try #require(try await db.store.markRead(user: alice.id, peer: bob.id, seq: 4))
            #expect(read == .read(updateID: 1, peerID: bob.id, seq: 4))
            #expect(try await db.store.latestUpdateID(of: alice.id) == 1)
            #expect(try await db.store.updates(of: alice.id, after: 0, limit: 100) == [read])
            #expect(try await db.store.latestUpdateID(of: bob.id) == 0, "a read mark is its reader's")

            // Messages after it still log nothing; the next entry follows on without a gap.
            try await Self.send(db.store, from: bob, to: alice, "b2")
            #expect(try await db.store.latestUpdateID(of: alice.id) == 1)
            let next = try #require(try await db.store.markRead(user: alice.id, peer: bob.id, seq: 5))
            #expect(next == .read(updateID: 2, peerID: bob.id, seq: 5))
            try await Self.send(db.store, from: alice, to: bob, "a4")
            #expect(
                try await db.store.markRead(user: bob.id, peer: alice.id, seq: .max)
                    == UpdateRecord.read(updateID: 1, peerID: alice.id, seq: 6)
            )
            #expect(try await db.store.updates(of: alice.id, after: 0, limit: 100) == [read, next])
        },
        MessageStoreScenario("updatesAfterReturnReadMarksAndSettingsInOrder") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.befriend(alice, bob)

            try await Self.send(db.store, from: alice, to: bob, "one", at: 1_000)
            try await Self.send(db.store, from: alice, to: bob, "two", at: 2_000)
            let read = try await db.store.markRead(user: bob.id, peer: alice.id, seq: 2)
            #expect(read == UpdateRecord.read(updateID: 1, peerID: alice.id, seq: 2))
            let muted = try await db.store.setMuted(true, .direct(alice.id), user: bob.id)
            #expect(muted == .muted(updateID: 2, .direct(alice.id), true))
            // Bob's reply moves his own mark (to 3) without an entry; reading Alice's next one makes one.
            try await Self.send(db.store, from: bob, to: alice, "three", at: 3_000)
            try await Self.send(db.store, from: alice, to: bob, "four", at: 4_000)
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: 3) == nil)
            _ = try await db.store.markRead(user: bob.id, peer: alice.id, seq: 4)
            _ = try await db.store.setMuted(false, .direct(alice.id), user: bob.id)

            let bobLog = try await db.store.updates(of: bob.id, after: 0, limit: 100)
            let expectedBobLog: [UpdateRecord] = [
                .read(updateID: 1, peerID: alice.id, seq: 2),
                .muted(updateID: 2, .direct(alice.id), true),
                .read(updateID: 3, peerID: alice.id, seq: 4),
                .muted(updateID: 4, .direct(alice.id), false),
            ]
            #expect(bobLog == expectedBobLog)
            #expect(try await db.store.latestUpdateID(of: bob.id) == 4)

            #expect(try await db.store.updates(of: bob.id, after: 2, limit: 100).map(\.updateID) == [3, 4])
            #expect(try await db.store.updates(of: bob.id, after: 1, limit: 2).map(\.updateID) == [2, 3])
            #expect(try await db.store.updates(of: bob.id, after: 4, limit: 100).isEmpty)

            // Alice's log is empty: Bob's read marks and settings are his own, and messages are not logged.
            #expect(try await db.store.updates(of: alice.id, after: 0, limit: 100).isEmpty)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 0)
        },
        MessageStoreScenario("markReadMovesForwardOnlyAndNeverPastTheLastSeq") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            try await db.befriend(alice, bob, carol)

            for index in 1...3 {
                try await Self.send(db.store, from: alice, to: bob, "m\(index)", at: Int64(index) * 1_000)
            }
            // Bob has received 3, which logged nothing: his first read mark is his log's first entry.
            #expect(
                try await db.store.markRead(user: bob.id, peer: alice.id, seq: 2)
                    == UpdateRecord.read(updateID: 1, peerID: alice.id, seq: 2)
            )
            // Backwards and standing still log nothing.
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: 1) == nil)
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: 2) == nil)
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: 0) == nil)
            // Past the end is clamped to the last message.
            #expect(
                try await db.store.markRead(user: bob.id, peer: alice.id, seq: 99)
                    == UpdateRecord.read(updateID: 2, peerID: alice.id, seq: 3)
            )
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: 100) == nil)
            #expect(try await db.store.markRead(user: bob.id, peer: alice.id, seq: .max) == nil)
            #expect(try await db.store.latestUpdateID(of: bob.id) == 2)

            // The sender has read her own messages already.
            #expect(try await db.store.markRead(user: alice.id, peer: bob.id, seq: 3) == nil)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 0)

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
            // The failed message was rolled back whole: no message, no seq used, no conversation.
            let stored = try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, afterSeq: nil, limit: 100)
            #expect(stored.count == 19)
            #expect(!stored.contains { $0.clientMessageID == "c7" })
            #expect(
                try await db.store.history(of: alice.id, with: nobody, beforeSeq: 0, afterSeq: nil, limit: 100).isEmpty
            )
            #expect(try await db.store.conversations(of: alice.id).map(\.peerID) == [bob.id])
            #expect(try await db.store.directSeqSum(of: alice.id) == 19)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 0)
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
            // Refused messages left nothing: no seq, no conversation.
            #expect(
                try await db.store.history(of: alice.id, with: bob.id, beforeSeq: 0, afterSeq: nil, limit: 10)
                    .map(\.seq) == [3, 2, 1]
            )
            #expect(try await db.store.directSeqSum(of: alice.id) == 3, "bob's three only")
            #expect(try await db.store.directSeqSum(of: carol.id) == 0)
            #expect(try await db.store.directSeqSum(of: dave.id) == 0)
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
        MessageStoreScenario("messageToSelfIsOneConversationCountedOnce") { db async throws in
            let alice = try await db.makeUser("alice")

            let note = try await Self.send(db.store, from: alice, to: alice, "note to self", at: 1_000)
            #expect(note.message.seq == 1)
            let again = try await Self.send(db.store, from: alice, to: alice, "and another", at: 2_000)
            #expect(again.message.seq == 2)
            // Both ends of the pair are alice: its last seq counts once, and nothing is logged.
            #expect(try await db.store.directSeqSum(of: alice.id) == 2)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 0)
            #expect(
                try await db.store.history(of: alice.id, with: alice.id, beforeSeq: 0, afterSeq: 1, limit: 10)
                    == [again.message]
            )
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

            // Nothing was logged: each side follows the conversation by its seq, which both sum to.
            #expect(try await db.store.latestUpdateID(of: alice.id) == 0)
            #expect(try await db.store.latestUpdateID(of: bob.id) == 0)
            #expect(try await db.store.directSeqSum(of: alice.id) == 100)
            #expect(try await db.store.directSeqSum(of: bob.id) == 100)

            let history = try await db.store.history(
                of: alice.id,
                with: bob.id,
                beforeSeq: 0,
                afterSeq: nil,
                limit: 200
            )
            #expect(history.map(\.seq) == Array(oneToHundred.reversed()))
            let forward = try await db.store.history(of: bob.id, with: alice.id, beforeSeq: 0, afterSeq: 50, limit: 200)
            #expect(forward.map(\.seq) == Array(oneToHundred[50...]))
            #expect(Set(history.map(\.clientMessageID)).count == 100)
            let conversation = try #require(try await db.store.conversations(of: bob.id).first)
            #expect(conversation.lastSeq == 100)
        },
        MessageStoreScenario("compactionKeepsTheNewestOfEachLogAndNumberingGoesOn") { db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            try await db.befriend(alice, bob, carol)
            // Messages log nothing, so the logs are made of what does: bob reads alice's 30
            // messages one at a time, alice mutes and unmutes bob 31 times, carol mutes alice once.
            for index in 1...30 {
                try await Self.send(db.store, from: alice, to: bob, "m\(index)")
                _ = try await db.store.markRead(user: bob.id, peer: alice.id, seq: UInt64(index))
            }
            for index in 1...31 {
                _ = try await db.store.setMuted(!index.isMultiple(of: 2), .direct(bob.id), user: alice.id)
            }
            _ = try await db.store.setMuted(true, .direct(alice.id), user: carol.id)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 31)
            #expect(try await db.store.latestUpdateID(of: bob.id) == 30)
            #expect(try await db.store.latestUpdateID(of: carol.id) == 1)
            // Alice's log has 31 entries, bob's 30, carol's 1. Keeping 10, 7 rows a statement.
            #expect(try await db.store.compactUpdateLogs(keepingLast: 10, rowsPerStatement: 7) == 41)
            #expect(try await db.store.compactUpdateLogs(keepingLast: 10, rowsPerStatement: 7) == 0)
            #expect(try await db.store.updates(of: alice.id, after: 0, limit: 100).map(\.updateID) == Array(22...31))
            let bobLog = try await db.store.updates(of: bob.id, after: 0, limit: 100)
            #expect(bobLog.map(\.updateID) == Array(21...30))
            #expect(bobLog.first == .read(updateID: 21, peerID: alice.id, seq: 21), "the entries kept are as logged")
            #expect(try await db.store.updates(of: carol.id, after: 0, limit: 100).map(\.updateID) == [1])
            // The last id survives, so the next entry follows on from it; a message still adds none.
            #expect(try await db.store.latestUpdateID(of: alice.id) == 31)
            try await Self.send(db.store, from: bob, to: alice, "after")
            #expect(try await db.store.latestUpdateID(of: alice.id) == 31)
            let next = try await db.store.setMuted(false, .direct(bob.id), user: alice.id)
            #expect(next == .muted(updateID: 32, .direct(bob.id), false))
            #expect(
                try await db.store.markRead(user: alice.id, peer: bob.id, seq: .max)
                    == UpdateRecord.read(updateID: 33, peerID: bob.id, seq: 31)
            )
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
