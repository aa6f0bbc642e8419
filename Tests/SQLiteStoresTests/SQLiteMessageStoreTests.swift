import ChatProtocol
import ChatServices
import Foundation
import GRDB
import SQLiteStores
import StoreTestSupport
import Testing

@Suite("SQLiteMessageStore")
struct SQLiteMessageStoreTests {
    /// Commits a message from `sender` to `recipient`; the client id defaults to a fresh one.
    @discardableResult
    private func send(
        _ store: SQLiteMessageStore,
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

    /// A full disk (here: the database at its page limit) is `unavailable`, which the client's
    /// outbox retries, not `internal`; and the messages committed before it are all there.
    @Test func aFullDiskIsUnavailableNotInternal() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let store = SQLiteMessageStore(database: db.database)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.befriend(alice, bob)
            let pages = try await db.database.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
            try await db.database.pool.write { db in try db.execute(sql: "PRAGMA max_page_count = \(pages + 2)") }
            var committed = 0
            var refusal: ChatError?
            for index in 0..<2_000 {
                do {
                    try await send(store, from: alice, to: bob, String(repeating: "x", count: 2_000) + "\(index)")
                    committed += 1
                } catch let error as ChatError {
                    refusal = error
                    break
                }
            }
            #expect(refusal?.code == .unavailable, "\(String(describing: refusal))")
            let stored = try await store.history(of: alice.id, with: bob.id, beforeSeq: 0, afterSeq: nil, limit: 10_000)
            #expect(stored.count == committed)
        }
    }

    /// The behaviour every message store shares.
    @Test(arguments: MessageStoreContract.scenarios)
    func contract(_ scenario: MessageStoreScenario) async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            try await scenario.run(
                MessageStoreFixture(
                    store: SQLiteMessageStore(database: db.database),
                    users: db.users,
                    social: db.social
                )
            )
        }
    }

    @Test func committedDataSurvivesClosingAndReopening() async throws {
        try await withTemporaryDirectory { directory in
            var alice: UserRecord!
            var bob: UserRecord!
            var sent: [MessageRecord] = []
            do {
                let db = try TestDatabase(in: directory)
                alice = try await db.makeUser("alice")
                bob = try await db.makeUser("bob")
                try await db.befriend(alice, bob)
                let store = SQLiteMessageStore(database: db.database)
                sent.append(
                    try await send(store, from: alice, to: bob, "before restart 1", at: 1_000, clientID: "k1").message
                )
                sent.append(
                    try await send(store, from: bob, to: alice, "before restart 2 ✓", at: 2_000, clientID: "k2").message
                )
                _ = try await store.markRead(user: alice.id, peer: bob.id, seq: 2)
            }
            // The first database and its stores are gone; open the same file again.
            let reopened = try TestDatabase(in: directory)
            let store = SQLiteMessageStore(database: reopened.database)

            #expect(try await reopened.users.user(id: alice.id) == alice)
            #expect(
                try await store.history(of: alice.id, with: bob.id, beforeSeq: 0, afterSeq: nil, limit: 10)
                    == Array(sent.reversed())
            )
            #expect(
                try await store.history(of: bob.id, with: alice.id, beforeSeq: 0, afterSeq: 1, limit: 10) == [sent[1]]
            )
            #expect(try await store.directSeqSum(of: bob.id) == 2)
            // Only the read mark was logged (messages are not).
            #expect(try await store.latestUpdateID(of: alice.id) == 1)
            #expect(try await store.latestUpdateID(of: bob.id) == 0)
            let aliceLog = try await store.updates(of: alice.id, after: 0, limit: 10)
            #expect(aliceLog == [UpdateRecord.read(updateID: 1, peerID: bob.id, seq: 2)])
            #expect(try await store.conversations(of: alice.id).first?.readSeq == 2)

            // Resend detection and numbering carry on where they were.
            let resend = try await send(store, from: alice, to: bob, "before restart 1", at: 3_000, clientID: "k1")
            #expect(resend.duplicate)
            #expect(resend.message == sent[0])
            let next = try await send(store, from: alice, to: bob, "after restart", at: 4_000, clientID: "k3")
            #expect(next.message.seq == 3)
            #expect(try await store.directSeqSum(of: alice.id) == 3)
            #expect(
                try await store.markRead(user: bob.id, peer: alice.id, seq: 3)
                    == UpdateRecord.read(updateID: 1, peerID: alice.id, seq: 3)
            )
            #expect(
                try await store.setMuted(true, .direct(bob.id), user: alice.id)
                    == .muted(updateID: 2, .direct(bob.id), true)
            )
        }
    }
}
