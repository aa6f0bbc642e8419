import ChatServices
import Foundation
import GRDB
import StoreTestSupport
import Testing

@testable import SQLiteStores

/// The schema's migrations, run on files written by an earlier version.
struct SQLiteDatabaseTests {
    /// v2 drops the users' update-log counter: a file from v1, with logs already written,
    /// opens and numbers each user's next updates on from their logs, without a gap.
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
            #expect(sent.senderUpdateID == 4 && sent.recipientUpdateID == 2)
            #expect(try await store.latestUpdateID(of: 1) == 4)
            #expect(try await store.latestUpdateID(of: 2) == 2)
            // A user with no log yet starts from 1.
            #expect(try await store.latestUpdateID(of: 3) == 0)
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
