import ChatServices
import Foundation
import GRDB
import StoreTestSupport
import Testing

@testable import SQLiteStores

/// The writer never checkpoints (`wal_autocheckpoint = 0`); `WALCheckpointer` copies committed
/// pages into the database file on its own thread while the database stays open.
struct WALCheckpointerTests {
    @Test func committedPagesReachTheDatabaseFileWhileItIsOpen() async throws {
        try await withTemporaryDirectory { directory in
            let test = try TestDatabase(in: directory)
            defer { try? test.database.close() }
            try await test.database.pool.write { db in
                try db.execute(sql: "CREATE TABLE filler(bytes BLOB NOT NULL)")
            }
            try await Task.sleep(for: .milliseconds(300))
            let before = try Self.size(of: test.path)

            // About 2 MiB in 200 commits, far past the 1,000 pages at which SQLite would
            // otherwise checkpoint inside a commit.
            for _ in 0..<200 {
                try await test.database.pool.write { db in
                    for _ in 0..<10 {
                        try db.execute(sql: "INSERT INTO filler(bytes) VALUES (zeroblob(1000))")
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(10)
            while try Self.size(of: test.path) < before + 1_500_000, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try Self.size(of: test.path) >= before + 1_500_000)
            let autocheckpoint = try await test.database.pool.write { db in
                try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint")
            }
            #expect(autocheckpoint == 0)
        }
    }

    private static func size(of path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }
}
