import ChatProtocol
import ChatServices
import Crypto
import Foundation
import GRDB
import StoreTestSupport
import Testing

@Suite("InProcessStatusService")
struct InProcessStatusServiceTests {
    private func makeService(_ db: TestDatabase, tokenLifetimeSeconds: Int64 = 3_600) -> InProcessStatusService {
        InProcessStatusService(sessions: db.sessions, tokenLifetimeSeconds: tokenLifetimeSeconds, logger: .quiet)
    }

    private func expectInvalidToken(
        _ status: InProcessStatusService,
        _ token: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        let error = await #expect(throws: ChatError.self, sourceLocation: sourceLocation) {
            try await status.authenticate(token: token)
        }
        #expect(error?.code == .invalidToken, sourceLocation: sourceLocation)
    }

    /// The behaviour every status service shares (tokens, registry, presence).
    @Test(arguments: StatusServiceContract.scenarios)
    func contract(_ scenario: StatusScenario) async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            try await scenario.run(makeService(db), db)
        }
    }

    // MARK: Tokens

    @Test func tokenIsStoredOnlyAsItsHash() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let status = makeService(db)
            let token = try await status.issueToken(for: alice.id).token
            let tokenBytes = Data(token.utf8)
            let expectedHash = Data(SHA256.hash(data: tokenBytes))

            let (hashes, anyColumnHoldsTheToken, columnTypes) = try await db.database.pool.read { connection in
                let hashes = try Data.fetchAll(connection, sql: "SELECT token_hash FROM sessions")
                var holdsToken = false
                for row in try Row.fetchAll(connection, sql: "SELECT * FROM sessions") {
                    for value in row.databaseValues {
                        if String.fromDatabaseValue(value) == token || Data.fromDatabaseValue(value) == tokenBytes {
                            holdsToken = true
                        }
                    }
                }
                let types = try String.fetchAll(
                    connection,
                    sql: "SELECT upper(type) FROM pragma_table_info('sessions')"
                )
                return (hashes, holdsToken, types)
            }

            #expect(hashes == [expectedHash])
            #expect(hashes.allSatisfy { $0.count == 32 && $0 != tokenBytes })
            #expect(!anyColumnHoldsTheToken)
            #expect(!columnTypes.isEmpty)
            #expect(!columnTypes.contains("TEXT"), "sessions has a text column: \(columnTypes)")

            // Nor is the token anywhere on disk (database, WAL or shared memory file).
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(files.contains { $0.hasPrefix("server.sqlite") })
            var hashFoundOnDisk = false
            for file in files {
                let contents = try Data(contentsOf: URL(fileURLWithPath: directory.file(file)))
                #expect(contents.range(of: tokenBytes) == nil, "the token is in \(file)")
                if contents.range(of: expectedHash) != nil { hashFoundOnDisk = true }
            }
            // (The search above really read the stored data.)
            #expect(hashFoundOnDisk)
        }
    }

    @Test func expiredTokenIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let status = makeService(db, tokenLifetimeSeconds: 0)
            let issued = try await status.issueToken(for: alice.id)
            #expect(issued.expiresAtMs <= WallClock.system.nowMs())
            await expectInvalidToken(status, issued.token)
        }
    }

    @Test func expiredSessionsAreSweptWhenTheUserGetsANewOne() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let shortLived = makeService(db, tokenLifetimeSeconds: 0)
            _ = try await shortLived.issueToken(for: alice.id)
            _ = try await shortLived.issueToken(for: bob.id)
            _ = try await shortLived.issueToken(for: alice.id)

            let counts = try await db.database.pool.read { connection in
                (
                    try Int.fetchOne(
                        connection,
                        sql: "SELECT COUNT(*) FROM sessions WHERE user_id = ?",
                        arguments: [alice.id]
                    ),
                    try Int.fetchOne(
                        connection,
                        sql: "SELECT COUNT(*) FROM sessions WHERE user_id = ?",
                        arguments: [bob.id]
                    )
                )
            }
            // Alice's first (expired) session went when her second was made; Bob's waits for his next.
            #expect(counts.0 == 1)
            #expect(counts.1 == 1)
        }
    }

    @Test func tokensOutliveTheServiceButNotTheDatabase() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let token = try await makeService(db).issueToken(for: alice.id).token
            // A restarted status service (same database) still knows the session.
            let restarted = makeService(try TestDatabase(in: directory))
            #expect(try await restarted.authenticate(token: token).userID == alice.id)
            // A different database does not.
            let elsewhere = makeService(try TestDatabase(in: directory, file: "other.sqlite"))
            await expectInvalidToken(elsewhere, token)
        }
    }
}
