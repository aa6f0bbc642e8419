import ChatProtocol
import ChatServices
import Foundation
import GRDB
import SQLiteStores
import StoreTestSupport
import Testing

@Suite("SQLiteUserStore")
struct SQLiteUserStoreTests {
    @Test func createdUserCanBeReadBack() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let store = db.users
            let alice = try await store.createUser(
                username: "alice",
                email: "alice@example.com",
                passwordHash: "$2b$hash",
                nowMs: 1_234
            )
            let bob = try await store.createUser(
                username: "bob",
                email: "bob@example.com",
                passwordHash: "$2b$other",
                nowMs: 5_678
            )

            #expect(alice.id > 0)
            #expect(bob.id != alice.id)
            #expect(alice.username == "alice")
            #expect(alice.email == "alice@example.com")
            #expect(alice.passwordHash == "$2b$hash")
            #expect(alice.createdAtMs == 1_234)
            #expect(try await store.user(id: alice.id) == alice)
            #expect(try await store.user(id: bob.id) == bob)
            #expect(try await store.user(id: 424_242) == nil)

            let both = try await store.users(ids: [alice.id, bob.id, 424_242])
            let expected: [UserID: UserRecord] = [alice.id: alice, bob.id: bob]
            #expect(both == expected)
            #expect(try await store.users(ids: []).isEmpty)
        }
    }

    @Test func takenUsernameIsRefusedWithoutCase() async throws {
        try await withTemporaryDirectory { directory in
            let store = try TestDatabase(in: directory).users
            _ = try await store.createUser(username: "alice", email: "alice@example.com", passwordHash: "h", nowMs: 1)

            for username in ["alice", "Alice", "ALICE"] {
                let error = await #expect(throws: ChatError.self, "username \(username)") {
                    try await store.createUser(
                        username: username,
                        email: "\(UUID().uuidString)@example.com",
                        passwordHash: "h",
                        nowMs: 2
                    )
                }
                #expect(error?.code == .usernameTaken)
            }
            #expect(try await store.usernameExists("aLiCe"))
            #expect(try await store.usernameExists("alicia") == false)
            // Names that read like a taken one are found by what they look like.
            for lookalike in ["aIice", "a1ice", "ALICE", "alIce"] {
                #expect(try await store.username(lookingLike: lookalike) == "alice", "\(lookalike)")
            }
            #expect(try await store.username(lookingLike: "alicia") == nil)
            #expect(try await store.searchUsers(query: "alice", limit: 10).count == 1)
        }
    }

    @Test func takenEmailIsRefusedWithoutCase() async throws {
        try await withTemporaryDirectory { directory in
            let store = try TestDatabase(in: directory).users
            _ = try await store.createUser(username: "alice", email: "alice@example.com", passwordHash: "h", nowMs: 1)

            for email in ["alice@example.com", "Alice@Example.com", "ALICE@EXAMPLE.COM"] {
                let error = await #expect(throws: ChatError.self, "email \(email)") {
                    try await store.createUser(username: "bob", email: email, passwordHash: "h", nowMs: 2)
                }
                #expect(error?.code == .emailTaken)
            }
            #expect(try await store.emailExists("ALICE@example.COM"))
            #expect(try await store.emailExists("bob@example.com") == false)
            // Nothing was half-created.
            #expect(try await store.usernameExists("bob") == false)
            // When both are taken, the username is reported.
            let error = await #expect(throws: ChatError.self) {
                try await store.createUser(username: "Alice", email: "ALICE@example.com", passwordHash: "h", nowMs: 3)
            }
            #expect(error?.code == .usernameTaken)
        }
    }

    @Test func userByAccountMatchesUsernameOrEmailWithoutCase() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")

            for account in ["alice", "Alice", "ALICE", "alice@example.com", "Alice@Example.COM"] {
                #expect(try await db.users.user(account: account) == alice, "account \(account)")
            }
            #expect(try await db.users.user(account: "BOB") == bob)
            #expect(try await db.users.user(account: "nobody") == nil)
            #expect(try await db.users.user(account: "ali") == nil)
            #expect(try await db.users.user(account: "") == nil)
        }
    }

    @Test func updatePasswordHashReplacesOnlyThatUsersHash() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.users.updatePasswordHash(userID: alice.id, hash: "new-hash")
            #expect(try await db.users.user(id: alice.id)?.passwordHash == "new-hash")
            #expect(try await db.users.user(id: bob.id)?.passwordHash == bob.passwordHash)
        }
    }

    @Test func searchFindsUsernamePrefixesAndExactEmails() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let alina = try await db.makeUser("alina")
            let albert = try await db.makeUser("albert")
            let bob = try await db.makeUser("bob")
            try await db.makeUser("malice")

            // "malice" contains "ali" but does not start with it.
            let ali = try await db.users.searchUsers(query: "ali", limit: 10)
            #expect(ali == [alice, alina])
            // Shortest first, then by name; without case.
            let al = try await db.users.searchUsers(query: "AL", limit: 10)
            #expect(al == [alice, alina, albert])
            #expect(try await db.users.searchUsers(query: "al", limit: 2) == [alice, alina])
            #expect(try await db.users.searchUsers(query: "alicex", limit: 10).isEmpty)

            // An email finds nobody unless its owner allows it; then it matches whole, not as a prefix.
            #expect(try await db.users.searchUsers(query: "bob@example.com", limit: 10).isEmpty)
            #expect(try await db.users.isFindableByEmail(userID: bob.id) == false)
            try await db.users.setFindableByEmail(userID: bob.id, true)
            #expect(try await db.users.isFindableByEmail(userID: bob.id))
            #expect(try await db.users.searchUsers(query: "bob@example.com", limit: 10) == [bob])
            #expect(try await db.users.searchUsers(query: "bob@example", limit: 10).isEmpty)
            #expect(try await db.users.searchUsers(query: "bob@", limit: 10).isEmpty)
        }
    }

    @Test func likeWildcardsInTheQueryAreLiteral() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let underscored = try await db.makeUser("a_b")
            try await db.makeUser("axb")
            try await db.makeUser("alice")
            let percent = try await db.makeUser("a%c")
            let backslashed = try await db.makeUser("a\\d")

            // "_" matches only an underscore, "%" only a percent sign.
            #expect(try await db.users.searchUsers(query: "a_", limit: 10) == [underscored])
            #expect(try await db.users.searchUsers(query: "a%", limit: 10) == [percent])
            #expect(try await db.users.searchUsers(query: "%", limit: 10).isEmpty)
            #expect(try await db.users.searchUsers(query: "_", limit: 10).isEmpty)
            #expect(try await db.users.searchUsers(query: "%%", limit: 10).isEmpty)
            #expect(try await db.users.searchUsers(query: "___", limit: 10).isEmpty)
            // The escape character itself is literal too.
            #expect(try await db.users.searchUsers(query: "a\\", limit: 10) == [backslashed])
            #expect(try await db.users.searchUsers(query: "\\", limit: 10).isEmpty)
            // A plain prefix still finds them all.
            #expect(try await db.users.searchUsers(query: "a", limit: 10).count == 5)
        }
    }

    @Test func sqlLookingUsernameIsStoredLiterally() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let name = "robert'); DROP TABLE users;--"
            let bobby = try await db.users.createUser(
                username: name,
                email: "bobby@example.com",
                passwordHash: "h",
                nowMs: 1
            )
            #expect(bobby.username == name)
            #expect(try await db.users.user(id: bobby.id)?.username == name)
            #expect(try await db.users.user(account: name) == bobby)
            #expect(try await db.users.usernameExists(name))
            #expect(try await db.users.searchUsers(query: "robert'", limit: 10) == [bobby])
            #expect(try await db.users.searchUsers(query: "' OR 1=1 --", limit: 10).isEmpty)

            // The table is still there and still works.
            let alice = try await db.makeUser("alice")
            #expect(try await db.users.user(id: alice.id) == alice)
            let count = try await db.database.pool.read { connection in
                try Int.fetchOne(connection, sql: "SELECT COUNT(*) FROM users")
            }
            #expect(count == 2)
        }
    }

    @Test func storeKeepsWhateverTextItIsGiven() async throws {
        // Validation is the account service's job; the store neither rejects nor rewrites.
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let odd = try await db.users.createUser(username: "名字 ✓", email: "名字@例子.中国", passwordHash: "h", nowMs: 1)
            #expect(try await db.users.user(id: odd.id) == odd)
            #expect(try await db.users.user(account: "名字@例子.中国") == odd)
            #expect(try await db.users.searchUsers(query: "名字", limit: 10) == [odd])
        }
    }
}
