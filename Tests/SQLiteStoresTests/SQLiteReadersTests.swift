import ChatServices
import Foundation
import GRDB
import StoreTestSupport
import Testing

@testable import SQLiteStores

/// The stores read on `SQLiteReaders`' connections: they must see every commit made before the
/// read, lend each connection to one caller at a time, and let the database close cleanly.
struct SQLiteReadersTests {
    @Test func aReadSeesEveryCommitBeforeIt() async throws {
        try await withTemporaryDirectory { directory in
            let test = try TestDatabase(in: directory)
            defer { try? test.database.close() }
            let alice = try await test.makeUser("alice")
            for round in 1...3 {
                // The same idle reader serves every round: it must not keep an old snapshot.
                try await test.database.pool.write { db in
                    try db.execute(
                        sql: "UPDATE users SET created_at_ms = ? WHERE id = ?",
                        arguments: [round, alice.id]
                    )
                }
                // Cached statements, as the stores use them: one reset after its row is read.
                let inTransaction = try test.database.read { db in
                    try Int.fetchOne(
                        db.cachedStatement(sql: "SELECT created_at_ms FROM users WHERE id = ?"),
                        arguments: [alice.id]
                    )
                }
                let single = try test.database.readSingleStatement { db in
                    try Int.fetchOne(
                        db.cachedStatement(sql: "SELECT created_at_ms FROM users WHERE id = ?"),
                        arguments: [alice.id]
                    )
                }
                #expect(inTransaction == round)
                #expect(single == round)
            }
        }
    }

    @Test func eachReaderServesOneCallerAndOnlyMaxIdleAreKept() async throws {
        try await withTemporaryDirectory { directory in
            let test = try TestDatabase(in: directory)
            defer { try? test.database.close() }
            let readers = SQLiteReaders(path: test.path, maxIdle: 1)
            defer { try? readers.close() }
            // Two callers at once (nested on one thread here) never wait and never share.
            let first = try #require(
                try readers.withReader { outer in try readers.withReader { inner in (outer, inner) } }
            )
            let (a, b) = try #require(first)
            #expect(a !== b)
            // The inner one came back first and was kept; the outer one found the idle list full
            // and was closed. So the next two are the kept one and a new one.
            let second = try #require(
                try readers.withReader { outer in try readers.withReader { inner in (outer, inner) } }
            )
            let (c, d) = try #require(second)
            #expect(c === b)
            #expect(d !== a && d !== b)
            // Lent readers read.
            #expect(try readers.withReader { try $0.read { db in try Int.fetchOne(db, sql: "SELECT 1") } } == .some(1))
        }
    }

    @Test func afterCloseNoReaderIsLentAndTheDatabaseFileIsComplete() async throws {
        try await withTemporaryDirectory { directory in
            let test = try TestDatabase(in: directory)
            let bob = try await test.makeUser("bob")
            _ = try await test.users.user(id: bob.id)  // opens a reader
            try test.database.close()
            // The pool's connection closed last, so SQLite checkpointed and removed the WAL: a
            // reader left open would have kept it.
            #expect(!FileManager.default.fileExists(atPath: test.path + "-wal"))
            let readers = SQLiteReaders(path: test.path)
            try readers.close()
            #expect(try readers.withReader { _ in true } == nil)
            readers.reopen()
            #expect(try readers.withReader { _ in true } == true)
            try readers.close()
            let reopened = try DatabaseQueue(path: test.path)
            #expect(
                try await reopened.read { db in try String.fetchOne(db, sql: "SELECT username FROM users") } == "bob"
            )
        }
    }
}
