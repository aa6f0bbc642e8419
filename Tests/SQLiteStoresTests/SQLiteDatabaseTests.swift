import ChatServices
import Foundation
import GRDB
import StoreTestSupport
import Testing

@testable import SQLiteStores

/// The schema's migrations, run on files written by an earlier version.
struct SQLiteDatabaseTests {
    /// v2 drops the users' update-log counter: a file from v1, with logs already written,
    /// opens and numbers each user's next updates on from their logs, without a gap (a message
    /// takes no number since v6; a read mark or a mute does).
    @Test func updateLogNumbersContinueAcrossTheV2Migration() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("server.sqlite")
            // A v1 file: alice has three updates, bob one, and v1's counters agree with them.
            let old = try DatabaseQueue(path: path)
            try SQLiteDatabase.migrator.migrate(old, upTo: "v1")
            try await old.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO users(id, username, email, password_hash, created_at_ms, last_update_id) VALUES
                            (1, 'alice', 'alice@example.com', 'x', 1, 3), (2, 'bob', 'bob@example.com', 'x', 1, 1);
                        INSERT INTO friendships(user_id, friend_id, since_ms) VALUES (1, 2, 1), (2, 1, 1);
                        INSERT INTO updates(user_id, update_id, read_peer_id, read_seq) VALUES
                            (1, 1, 2, 0), (1, 2, 2, 0), (1, 3, 2, 0), (2, 1, 1, 0);
                        """
                )
            }
            try old.close()

            let database = try SQLiteDatabase(path: path, logger: .quiet)
            defer { try? database.close() }
            let columns = try await database.pool.read { db in try db.columns(in: "users").map(\.name) }
            #expect(!columns.contains("last_update_id"))
            let store = SQLiteMessageStore(database: database)
            #expect(try await store.latestUpdateID(of: 1) == 3)
            let sent = try await store.commit(
                NewMessage(senderID: 1, recipientID: 2, clientMessageID: "m-1", text: "hi", sentAtMs: 2)
            )
            #expect(sent.message.seq == 1 && !sent.duplicate)
            #expect(try await store.latestUpdateID(of: 1) == 3, "a message is not logged")
            #expect(try await store.latestUpdateID(of: 2) == 1)
            #expect(
                try await store.markRead(user: 2, peer: 1, seq: 1)
                    == UpdateRecord.read(updateID: 2, peerID: 1, seq: 1)
            )
            #expect(try await store.setMuted(true, .direct(2), user: 1) == .muted(updateID: 4, .direct(2), true))
            #expect(try await store.latestUpdateID(of: 1) == 4)
            #expect(try await store.latestUpdateID(of: 2) == 2)
            // A user with no log yet starts from 1.
            #expect(try await store.latestUpdateID(of: 3) == 0)
        }
    }

    /// v6 stops logging one-to-one messages: the entries a v5 server logged for them stay and are
    /// replayed as messages; a new message adds none, and the next entry follows on from the old.
    @Test func messagesLoggedBeforeV6AreReplayedAndNewOnesAreNotLogged() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("server.sqlite")
            // A v5 file: alice sent bob one message, logged for both as their update 1.
            let old = try DatabaseQueue(path: path)
            try SQLiteDatabase.migrator.migrate(old, upTo: "v5: groups, replies, recall, mute, read receipts")
            try await old.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO users(id, username, email, password_hash, created_at_ms) VALUES
                            (1, 'alice', 'alice@example.com', 'x', 1), (2, 'bob', 'bob@example.com', 'x', 1);
                        INSERT INTO friendships(user_id, friend_id, since_ms) VALUES (1, 2, 1), (2, 1, 1);
                        INSERT INTO messages(id, user_lo, user_hi, seq, sender_id, recipient_id, client_msg_id, text,
                                             sent_at_ms, sender_update_id, recipient_update_id) VALUES
                            (1, 1, 2, 1, 1, 2, 'm-1', 'logged', 1, 1, 1);
                        INSERT INTO conversations(user_lo, user_hi, last_seq, last_message_id) VALUES (1, 2, 1, 1);
                        INSERT INTO read_marks(user_id, peer_id, read_seq) VALUES (1, 2, 1);
                        INSERT INTO updates(user_id, update_id, message_id) VALUES (1, 1, 1), (2, 1, 1);
                        """
                )
            }
            try old.close()

            let database = try SQLiteDatabase(path: path, logger: .quiet)
            defer { try? database.close() }
            let store = SQLiteMessageStore(database: database)
            let logged = try #require(
                try await store.history(of: 2, with: 1, beforeSeq: 0, afterSeq: nil, limit: 10).first
            )
            #expect(logged.text == "logged" && logged.seq == 1)
            let replayed = [UpdateRecord.message(updateID: 1, logged)]
            #expect(try await store.updates(of: 1, after: 0, limit: 10) == replayed)
            #expect(try await store.updates(of: 2, after: 0, limit: 10) == replayed)

            // A resend of it is still found; a new message takes a seq and no update.
            let resend = try await store.commit(
                NewMessage(senderID: 1, recipientID: 2, clientMessageID: "m-1", text: "logged", sentAtMs: 3)
            )
            #expect(resend == CommittedMessage(message: logged, duplicate: true))
            let sent = try await store.commit(
                NewMessage(senderID: 2, recipientID: 1, clientMessageID: "m-2", text: "not logged", sentAtMs: 4)
            )
            #expect(sent.message.seq == 2)
            #expect(try await store.latestUpdateID(of: 1) == 1)
            #expect(try await store.latestUpdateID(of: 2) == 1)
            #expect(try await store.directSeqSum(of: 1) == 2)
            #expect(try await store.directSeqSum(of: 2) == 2)
            #expect(
                try await store.markRead(user: 1, peer: 2, seq: 2)
                    == UpdateRecord.read(updateID: 2, peerID: 2, seq: 2)
            )
            #expect(try await store.updates(of: 2, after: 0, limit: 10).count == 1)
        }
    }

    /// The writer keeps the page cache it is given; readers, the pool's and `SQLiteReaders`',
    /// keep SQLite's default.
    @Test func theWriterHasTheConfiguredPageCache() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("server.sqlite")
            let database = try SQLiteDatabase(path: path, writerCacheMiB: 5, logger: .quiet)
            defer { try? database.close() }
            let cacheSize = { (db: Database) in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
            let sqliteDefault = try DatabaseQueue().read(cacheSize)
            #expect(sqliteDefault != -5 * 1024)
            #expect(try database.pool.write(cacheSize) == -5 * 1024)
            #expect(try database.pool.read(cacheSize) == sqliteDefault)
            #expect(try database.read(cacheSize) == sqliteDefault)
        }
    }

    /// A file migrated by a newer server (a migration this one does not know) is refused at open,
    /// not at its first write.
    @Test func aDatabaseFromANewerServerIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.file("server.sqlite")
            var newer = SQLiteDatabase.migrator
            newer.registerMigration("v99: from the future") { db in try db.execute(sql: "CREATE TABLE future(x)") }
            let queue = try DatabaseQueue(path: path)
            try newer.migrate(queue)
            try queue.close()
            #expect(throws: DatabaseError.self) { try SQLiteDatabase(path: path, logger: .quiet) }
        }
    }
}
