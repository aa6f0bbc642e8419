import ChatProtocol
import ChatServices
import Foundation
import PostgresStores
import PostgresTestSupport
import StoreTestSupport
import Testing

/// The message store on a real PostgreSQL server: the contract every message store keeps, and
/// what only a shared database must: two chat nodes (two stores, two connection pools) committing
/// to the same conversation at once still number it without a gap or a repeat.
@Suite struct PostgresMessageStoreTests {
    static func fixture(_ database: PostgresStoreDatabase) -> MessageStoreFixture {
        MessageStoreFixture(
            store: PostgresMessageStore(database: database),
            users: PostgresUserStore(database: database),
            social: PostgresSocialStore(database: database)
        )
    }

    @Test(arguments: MessageStoreContract.scenarios)
    func contract(_ scenario: MessageStoreScenario) async throws {
        try await PostgresStoresTests.withDatabase { database in
            try await scenario.run(Self.fixture(database))
        }
    }

    /// Two nodes hammer one conversation, and each also a conversation of its own with one of
    /// the two users, so both users' conversations are numbered from both nodes at once; resends
    /// of the same client ids race on both nodes too. No message writes an update-log row.
    @Test func twoNodesCommittingToOneConversationKeepEveryNumberGapless() async throws {
        do {
            let (server, name) = try await PostgresServer.freshDatabase()
            let first = try await PostgresStoresTests.open(server, database: name)
            let second = try await PostgresStoresTests.open(server, database: name)
            defer {
                Task {
                    await first.close()
                    await second.close()
                }
            }
            let one = Self.fixture(first)
            let other = Self.fixture(second)
            let alice = try await one.makeUser("alice")
            let bob = try await one.makeUser("bob")
            let carol = try await one.makeUser("carol")
            try await one.befriend(alice, bob, carol)

            let perNode = 300
            let nodes = [one.store, other.store]
            let committed = try await withThrowingTaskGroup(of: CommittedMessage.self) { group in
                for (node, store) in nodes.enumerated() {
                    for index in 0..<perNode {
                        group.addTask {
                            let (from, to) =
                                switch index % 3 {
                                case 0: (alice, bob)
                                case 1: (bob, alice)
                                default: node == 0 ? (alice, carol) : (bob, carol)
                                }
                            // Every 10th is a resend of a client id the other node also sends.
                            let clientID = index % 10 == 0 ? "shared-\(from.id)-\(index)" : "n\(node)-\(index)"
                            return try await store.commit(
                                NewMessage(
                                    senderID: from.id,
                                    recipientID: to.id,
                                    clientMessageID: clientID,
                                    text: "message \(index) from node \(node)",
                                    sentAtMs: Int64(index)
                                )
                            )
                        }
                    }
                }
                var all: [CommittedMessage] = []
                for try await message in group { all.append(message) }
                return all
            }
            #expect(committed.count == 2 * perNode)
            let stored = committed.filter { !$0.duplicate }
            // Each client id both nodes sent was stored once and answered as a duplicate once.
            let sharedIDs = (0..<perNode).filter { $0 % 10 == 0 && $0 % 3 != 2 }.count
            #expect(committed.count - stored.count == sharedIDs)
            #expect(Set(stored.map(\.message.id)).count == stored.count)

            // A resend answered as a duplicate carries the message that was stored.
            var storedByClientID: [String: MessageRecord] = [:]
            for message in stored { storedByClientID[message.message.clientMessageID] = message.message }
            for resend in committed where resend.duplicate {
                #expect(storedByClientID[resend.message.clientMessageID] == resend.message)
            }

            // Each conversation is numbered without a gap or a repeat, whichever node took each seq.
            for (a, b) in [(alice, bob), (alice, carol), (bob, carol)] {
                let inPair = stored.filter { Set([$0.message.senderID, $0.message.recipientID]) == [a.id, b.id] }
                let expectedSeqs = (0..<inPair.count).map { UInt64($0) + 1 }
                #expect(!inPair.isEmpty, "\(a.username), \(b.username)")
                #expect(inPair.map(\.message.seq).sorted() == expectedSeqs, "\(a.username), \(b.username)")
                let history = try await other.store.history(
                    of: a.id,
                    with: b.id,
                    beforeSeq: 0,
                    afterSeq: nil,
                    limit: 10_000
                )
                #expect(history.map(\.seq) == Array(expectedSeqs.reversed()))
                let forward = try await one.store.history(
                    of: b.id,
                    with: a.id,
                    beforeSeq: 0,
                    afterSeq: 1,
                    limit: 10_000
                )
                #expect(forward.map(\.seq) == Array(expectedSeqs.dropFirst()), "oldest first after the first")
            }
            // No update-log rows; each user's direct sum counts every message of theirs once.
            for user in [alice, bob, carol] {
                #expect(try await other.store.latestUpdateID(of: user.id) == 0, "\(user.username)")
                #expect(try await one.store.updates(of: user.id, after: 0, limit: 10_000).isEmpty, "\(user.username)")
                let theirs = stored.filter { $0.message.senderID == user.id || $0.message.recipientID == user.id }
                #expect(try await one.store.directSeqSum(of: user.id) == UInt64(theirs.count), "\(user.username)")
            }
        }
    }

    /// The database restarting mid-chat: commits work again once it is back; while it is gone
    /// they fail `unavailable` (the client's outbox sends them again) instead of hanging.
    @Test func commitsSurviveARestartAndAreUnavailableWhileTheDatabaseIsDown() async throws {
        try await PostgresServer.with { server in
            let database = try await PostgresStoresTests.open(server)
            let db = Self.fixture(database)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.befriend(alice, bob)
            let message = NewMessage(
                senderID: alice.id,
                recipientID: bob.id,
                clientMessageID: "x",
                text: "hi",
                sentAtMs: 1
            )
            _ = try await db.store.commit(message)
            try await server.restart()
            let after = try await db.store.commit(
                NewMessage(senderID: alice.id, recipientID: bob.id, clientMessageID: "z", text: "back", sentAtMs: 3)
            )
            #expect(after.message.seq == 2)

            server.stop()
            let error = await #expect(throws: ChatError.self) {
                try await db.store.commit(
                    NewMessage(senderID: alice.id, recipientID: bob.id, clientMessageID: "y", text: "hi", sentAtMs: 2)
                )
            }
            #expect(error?.code == .unavailable)
            await database.close()
        }
    }
}
