import ChatProtocol
import ChatServices
import Foundation
import Logging
import PostgresNIO
import PostgresStores
import PostgresTestSupport
import StoreTestSupport
import Testing

/// The users and sessions stores on a real PostgreSQL server: a fresh database of their own for
/// most tests, a server of their own for those that crash or restart it.
@Suite struct PostgresStoresTests {
    static func open(
        _ server: PostgresServer,
        database name: String = PostgresServer.database
    ) async throws -> PostgresStoreDatabase {
        try await PostgresStoreDatabase.open(
            host: "127.0.0.1",
            port: server.port,
            username: PostgresServer.user,
            database: name,
            // The stores' 10 s, tripled: beside the whole suite on two cores, a server just
            // started can be that slow to answer its first queries.
            timeout: .seconds(30),
            logger: .quiet
        )
    }

    /// A fresh, empty database of the test's own, on the server the process shares (the tests
    /// that crash or restart a server start their own with `PostgresServer.with`).
    static func withDatabase(_ body: (PostgresStoreDatabase) async throws -> Void) async throws {
        let (server, name) = try await PostgresServer.freshDatabase()
        let database = try await open(server, database: name)
        do {
            try await body(database)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }

    @Test func usersAreUniqueWhateverTheirCaseAndFoundByNameOrAddress() async throws {
        try await Self.withDatabase { database in
            let users = PostgresUserStore(database: database)
            let alice = try await users.createUser(
                username: "Alice",
                email: "alice@example.com",
                passwordHash: "h1",
                nowMs: 5
            )
            #expect(alice.id > 0 && alice.username == "Alice" && alice.createdAtMs == 5)
            let taken = await #expect(throws: ChatError.self) {
                try await users.createUser(username: "ALICE", email: "other@example.com", passwordHash: "h", nowMs: 6)
            }
            #expect(taken?.code == .usernameTaken)
            let emailTaken = await #expect(throws: ChatError.self) {
                try await users.createUser(username: "alicia", email: "Alice@Example.com", passwordHash: "h", nowMs: 6)
            }
            #expect(emailTaken?.code == .emailTaken)
            let bob = try await users.createUser(
                username: "bob",
                email: "bob@example.com",
                passwordHash: "h2",
                nowMs: 7
            )

            #expect(try await users.user(id: alice.id) == alice)
            #expect(try await users.user(id: 999) == nil)
            #expect(try await users.user(account: "alice") == alice)
            #expect(try await users.user(account: "BOB@example.com") == bob)
            #expect(try await users.user(account: "carol") == nil)
            #expect(try await users.users(ids: [alice.id, bob.id, 999]) == [alice.id: alice, bob.id: bob])
            #expect(try await users.users(ids: []).isEmpty)
            #expect(try await users.usernameExists("aLiCe"))
            #expect(try await users.emailExists("BOB@EXAMPLE.COM"))
            #expect(try await users.usernameExists("carol") == false)
            for lookalike in ["aIice", "a1ice", "ALICE"] {
                #expect(try await users.username(lookingLike: lookalike) == "Alice", "\(lookalike)")
            }
            #expect(try await users.username(lookingLike: "b0b") == "bob")
            #expect(try await users.username(lookingLike: "carol") == nil)

            try await users.updatePasswordHash(userID: bob.id, hash: "new-hash")
            #expect(try await users.user(id: bob.id)?.passwordHash == "new-hash")
            #expect(try await users.user(id: alice.id)?.passwordHash == "h1")
        }
    }

    @Test func searchFindsPrefixesAndExactAddressesAndTakesWildcardsLiterally() async throws {
        try await Self.withDatabase { database in
            let users = PostgresUserStore(database: database)
            for name in ["ann", "anna", "annabel", "a_b", "axb", "bob"] {
                _ = try await users.createUser(
                    username: name,
                    email: "\(name)@example.com",
                    passwordHash: "h",
                    nowMs: 1
                )
            }
            #expect(try await users.searchUsers(query: "ann", limit: 10).map(\.username) == ["ann", "anna", "annabel"])
            #expect(try await users.searchUsers(query: "ANN", limit: 2).map(\.username) == ["ann", "anna"])
            #expect(try await users.searchUsers(query: "a_", limit: 10).map(\.username) == ["a_b"])
            #expect(try await users.searchUsers(query: "%", limit: 10).isEmpty)
            #expect(try await users.searchUsers(query: "bob@example.com", limit: 10).isEmpty, "not findable by email")
            let bob = try #require(try await users.user(account: "bob"))
            try await users.setFindableByEmail(userID: bob.id, true)
            #expect(try await users.isFindableByEmail(userID: bob.id))
            #expect(try await users.searchUsers(query: "bob@example.com", limit: 10).map(\.username) == ["bob"])
            #expect(try await users.searchUsers(query: "' OR 1=1 --", limit: 10).isEmpty)
        }
    }

    @Test func sessionsByTokenHashExpireAndGoWithTheirUser() async throws {
        try await Self.withDatabase { database in
            let users = PostgresUserStore(database: database)
            let sessions = PostgresSessionStore(database: database)
            let alice = try await users.createUser(
                username: "alice",
                email: "a@example.com",
                passwordHash: "h",
                nowMs: 1
            )
            let bob = try await users.createUser(username: "bob", email: "b@example.com", passwordHash: "h", nowMs: 1)
            let one = [UInt8](repeating: 1, count: 32)
            let two = [UInt8](repeating: 2, count: 32)
            let three = [UInt8](repeating: 3, count: 32)
            try await sessions.insertSession(tokenHash: one, userID: alice.id, createdAtMs: 1_000, expiresAtMs: 2_000)
            try await sessions.insertSession(tokenHash: two, userID: alice.id, createdAtMs: 1_000, expiresAtMs: 9_000)
            try await sessions.insertSession(tokenHash: three, userID: bob.id, createdAtMs: 1_000, expiresAtMs: 9_000)
            #expect(
                try await sessions.liveSession(tokenHash: one, nowMs: 1_500).map { [$0.userID, $0.expiresAtMs] } == [
                    alice.id, 2_000,
                ]
            )
            #expect(try await sessions.liveSession(tokenHash: one, nowMs: 2_000)?.userID == nil)
            #expect(try await sessions.liveSession(tokenHash: [UInt8](repeating: 9, count: 32), nowMs: 1_500) == nil)
            // At most the newest sessions per user are kept.
            let carol = try await users.createUser(
                username: "carol",
                email: "c@example.com",
                passwordHash: "h",
                nowMs: 1
            )
            let many = (0..<(SessionTokens.maxSessionsPerUser + 3)).map {
                [UInt8](repeating: UInt8(100 + $0), count: 32)
            }
            for (index, hash) in many.enumerated() {
                try await sessions.insertSession(
                    tokenHash: hash,
                    userID: carol.id,
                    createdAtMs: 1_100 + Int64(index),
                    expiresAtMs: 9_000
                )
            }
            #expect(try await sessions.liveSession(tokenHash: many[0], nowMs: 1_500) == nil)
            #expect(try await sessions.liveSession(tokenHash: many.last!, nowMs: 1_500)?.userID == carol.id)

            // A new session sweeps the user's expired ones.
            try await sessions.insertSession(tokenHash: [4], userID: alice.id, createdAtMs: 3_000, expiresAtMs: 9_000)
            let count = try await database.client.query(
                "SELECT count(*) FROM sessions WHERE user_id = \(alice.id)",
                logger: Logger.quiet
            )
            for try await rows in count.decode(Int64.self) { #expect(rows == 2) }

            #expect(try await sessions.deleteSession(tokenHash: two))
            #expect(try await sessions.deleteSession(tokenHash: two) == false)
            try await sessions.deleteSessions(userID: alice.id)
            #expect(try await sessions.liveSession(tokenHash: [4], nowMs: 3_500)?.userID == nil)
            #expect(try await sessions.liveSession(tokenHash: three, nowMs: 3_500)?.userID == bob.id)
        }
    }

    @Test func twoProcessesMigratingAtOnceApplyEachStepOnce() async throws {
        do {
            let (server, name) = try await PostgresServer.freshDatabase()
            async let first = Self.open(server, database: name)
            async let second = Self.open(server, database: name)
            let (one, two) = try await (first, second)
            let versions = try await one.client.query(
                "SELECT version FROM schema_migrations ORDER BY version",
                logger: Logger.quiet
            )
            var seen: [Int] = []
            for try await version in versions.decode(Int.self) { seen.append(version) }
            #expect(seen == Array(1...7))
            // Both work on the one schema.
            _ = try await PostgresUserStore(database: one).createUser(
                username: "x",
                email: "x@x",
                passwordHash: "h",
                nowMs: 1
            )
            #expect(try await PostgresUserStore(database: two).usernameExists("x"))
            await one.close()
            await two.close()
        }
    }

    @Test func whatWasCommittedSurvivesACrash() async throws {
        try await PostgresServer.with { server in
            let database = try await Self.open(server)
            let alice = try await PostgresUserStore(database: database).createUser(
                username: "alice",
                email: "a@example.com",
                passwordHash: "h",
                nowMs: 1
            )
            await database.close()
            try await server.restart()
            let reopened = try await Self.open(server)
            #expect(try await PostgresUserStore(database: reopened).user(id: alice.id) == alice)
            await reopened.close()
        }
    }

    @Test func anUnreachableServerIsAPlainErrorNotAHang() async throws {
        let started = ContinuousClock.now
        let error = await #expect(throws: ChatError.self) {
            try await PostgresStoreDatabase.open(
                host: "127.0.0.1",
                port: try PortFinder.freePort(),
                username: "wechat",
                database: "postgres",
                timeout: .seconds(2),
                logger: .quiet
            )
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.hasPrefix("PostgreSQL at 127.0.0.1:") == true)
        // Given up on, not hung (generous: a busy machine is slow).
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
