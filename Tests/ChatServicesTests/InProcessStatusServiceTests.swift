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

    /// A status service without a database, for the in-memory parts (servers and presence).
    private func withMemoryService(_ body: (InProcessStatusService) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            try await body(makeService(try TestDatabase(in: directory)))
        }
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

    // MARK: Tokens

    @Test func issuedTokenAuthenticatesItsUser() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let status = makeService(db, tokenLifetimeSeconds: 3_600)

            let before = WallClock.system.nowMs()
            let issued = try await status.issueToken(for: alice.id)
            let after = WallClock.system.nowMs()
            #expect(issued.userID == alice.id)
            #expect(issued.expiresAtMs >= before + 3_600_000 && issued.expiresAtMs <= after + 3_600_000)
            // 32 random bytes, URL-safe base64 without padding.
            #expect(issued.token.count == 43)
            #expect(
                issued.token.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-"
                        || $0 == "_"
                }
            )
            #expect(try await status.authenticate(token: issued.token) == alice.id)

            let bobs = try await status.issueToken(for: bob.id)
            let alicesSecond = try await status.issueToken(for: alice.id)
            #expect(Set([issued.token, bobs.token, alicesSecond.token]).count == 3)
            #expect(try await status.authenticate(token: bobs.token) == bob.id)
            #expect(try await status.authenticate(token: alicesSecond.token) == alice.id)
            #expect(try await status.authenticate(token: issued.token) == alice.id)
        }
    }

    @Test func unknownOrMalformedTokensAreRefused() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let status = makeService(db)
            let issued = try await status.issueToken(for: alice.id)

            await expectInvalidToken(status, "")
            await expectInvalidToken(status, "not-a-token")
            await expectInvalidToken(status, String(issued.token.dropLast()))
            await expectInvalidToken(status, issued.token + "x")
            await expectInvalidToken(
                status,
                issued.token.uppercased() == issued.token ? issued.token.lowercased() : issued.token.uppercased()
            )
            await expectInvalidToken(status, String(repeating: "a", count: 10_000))
            await expectInvalidToken(status, "' OR 1=1 --")
            #expect(try await status.revokeToken(String(repeating: "a", count: 10_000)) == false)
            // None of that disturbed the real one.
            #expect(try await status.authenticate(token: issued.token) == alice.id)
        }
    }

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

    @Test func revokedTokenNoLongerAuthenticates() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let status = makeService(db)
            let first = try await status.issueToken(for: alice.id)
            let second = try await status.issueToken(for: alice.id)

            #expect(try await status.revokeToken(first.token))
            await expectInvalidToken(status, first.token)
            #expect(try await status.revokeToken(first.token) == false)
            #expect(try await status.revokeToken("never-issued") == false)
            // The user's other session is untouched.
            #expect(try await status.authenticate(token: second.token) == alice.id)
        }
    }

    @Test func revokeAllTokensEndsEverySessionOfThatUserOnly() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let status = makeService(db)
            let alices = [try await status.issueToken(for: alice.id), try await status.issueToken(for: alice.id)]
            let bobs = try await status.issueToken(for: bob.id)

            try await status.revokeAllTokens(of: alice.id)
            for token in alices {
                await expectInvalidToken(status, token.token)
            }
            #expect(try await status.authenticate(token: bobs.token) == bob.id)
            // Revoking again is harmless.
            try await status.revokeAllTokens(of: alice.id)
            // And she can sign in again afterwards.
            let fresh = try await status.issueToken(for: alice.id)
            #expect(try await status.authenticate(token: fresh.token) == alice.id)
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
            #expect(try await restarted.authenticate(token: token) == alice.id)
            // A different database does not.
            let elsewhere = makeService(try TestDatabase(in: directory, file: "other.sqlite"))
            await expectInvalidToken(elsewhere, token)
        }
    }

    // MARK: Chat servers

    @Test func noChatServerIsUnavailable() async throws {
        try await withMemoryService { status in
            let error = await #expect(throws: ChatError.self) {
                try await status.assignChatServer()
            }
            #expect(error?.code == .unavailable)
        }
    }

    @Test func assignmentsSpreadEvenlyOverEqualServers() async throws {
        try await withMemoryService { status in
            let one = ChatServerInfo(id: "chat-1", host: "127.0.0.1", port: 7001)
            let two = ChatServerInfo(id: "chat-2", host: "127.0.0.1", port: 7002)
            await status.registerChatServer(one)
            await status.registerChatServer(two)

            var counts: [String: Int] = [:]
            for _ in 0..<10 {
                let server = try await status.assignChatServer()
                #expect(server == one || server == two)
                counts[server.id, default: 0] += 1
            }
            #expect(counts == ["chat-1": 5, "chat-2": 5])
            // Assignments are not connections.
            #expect(await status.connectionCounts() == ["chat-1": 0, "chat-2": 0])
        }
    }

    @Test func assignmentPrefersTheServerWithFewerConnections() async throws {
        try await withMemoryService { status in
            await status.registerChatServer(ChatServerInfo(id: "busy", host: "10.0.0.1", port: 7001))
            await status.registerChatServer(ChatServerInfo(id: "quiet", host: "10.0.0.2", port: 7002))
            for user in 1...3 {
                _ = await status.connectionOpened(user: UserID(user), chatServerID: "busy")
            }
            #expect(await status.connectionCounts() == ["busy": 3, "quiet": 0])

            // Until the quiet one has as much load (pending logins count), it gets every login.
            for _ in 0..<3 {
                let server = try await status.assignChatServer()
                #expect(server.id == "quiet")
                #expect(server.host == "10.0.0.2" && server.port == 7002)
            }
            // 3 and 3 now: they take turns.
            let next = [try await status.assignChatServer().id, try await status.assignChatServer().id]
            #expect(Set(next) == ["busy", "quiet"])
        }
    }

    @Test func pendingLoginsTurnIntoConnections() async throws {
        try await withMemoryService { status in
            await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1))
            await status.registerChatServer(ChatServerInfo(id: "b", host: "h", port: 2))
            // Two logins land on different servers, and both connect to "a" (pending for "a" is
            // used up; "b" still has one pending).
            _ = try await status.assignChatServer()
            _ = try await status.assignChatServer()
            _ = await status.connectionOpened(user: 1, chatServerID: "a")
            _ = await status.connectionOpened(user: 2, chatServerID: "a")
            // Load: a = 2 connections + 0 pending, b = 0 + 1 pending.
            #expect(try await status.assignChatServer().id == "b")
            // Now a = 2, b = 2 pending.
            _ = await status.connectionClosed(user: 1, chatServerID: "a")
            _ = await status.connectionClosed(user: 2, chatServerID: "a")
            #expect(await status.connectionCounts() == ["a": 0, "b": 0])
            #expect(try await status.assignChatServer().id == "a")
        }
    }

    @Test func unregisteredServerIsNoLongerAssigned() async throws {
        try await withMemoryService { status in
            await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1))
            await status.registerChatServer(ChatServerInfo(id: "b", host: "h", port: 2))
            await status.unregisterChatServer(id: "a")
            for _ in 0..<4 {
                let server = try await status.assignChatServer()
                #expect(server.id == "b")
            }
            #expect(await status.connectionCounts().keys.sorted() == ["b"])
            // Registering again with a new address replaces the old entry.
            await status.registerChatServer(ChatServerInfo(id: "b", host: "new-host", port: 3))
            let replaced = try await status.assignChatServer()
            #expect(replaced.host == "new-host")
            await status.unregisterChatServer(id: "b")
            let error = await #expect(throws: ChatError.self) {
                try await status.assignChatServer()
            }
            #expect(error?.code == .unavailable)
        }
    }

    // MARK: Presence

    @Test func presenceFollowsTheFirstAndLastConnection() async throws {
        try await withMemoryService { status in
            let alice: UserID = 1
            let bob: UserID = 2
            let carol: UserID = 3
            #expect(await status.onlineUsers(among: [alice, bob, carol]).isEmpty)

            #expect(await status.connectionOpened(user: alice, chatServerID: "s1") == true)
            #expect(await status.connectionOpened(user: alice, chatServerID: "s2") == false)
            #expect(await status.connectionOpened(user: alice, chatServerID: "s1") == false)
            #expect(await status.connectionOpened(user: bob, chatServerID: "s2") == true)
            #expect(await status.onlineUsers(among: [alice, bob, carol]) == [alice, bob])
            #expect(await status.onlineUsers(among: [carol]).isEmpty)
            #expect(await status.onlineUsers(among: []).isEmpty)
            #expect(status.chatServers(of: alice).sorted() == ["s1", "s2"])
            #expect(status.chatServers(of: bob) == ["s2"])
            #expect(status.chatServers(of: carol).isEmpty)

            #expect(await status.connectionClosed(user: alice, chatServerID: "s1") == false)
            #expect(await status.connectionClosed(user: alice, chatServerID: "s2") == false)
            #expect(status.chatServers(of: alice) == ["s1"])
            #expect(await status.onlineUsers(among: [alice]) == [alice])
            #expect(await status.connectionClosed(user: alice, chatServerID: "s1") == true)
            #expect(await status.onlineUsers(among: [alice, bob, carol]) == [bob])
            #expect(status.chatServers(of: alice).isEmpty)

            // Closing what is not open changes nothing and is not "went offline".
            #expect(await status.connectionClosed(user: alice, chatServerID: "s1") == false)
            #expect(await status.connectionClosed(user: carol, chatServerID: "s2") == false)
            #expect(await status.onlineUsers(among: [alice, bob, carol]) == [bob])

            #expect(await status.connectionClosed(user: bob, chatServerID: "s2") == true)
            #expect(await status.onlineUsers(among: [alice, bob, carol]).isEmpty)
            // Coming back is "came online" again.
            #expect(await status.connectionOpened(user: alice, chatServerID: "s2") == true)
        }
    }

    @Test func concurrentConnectionsCountExactly() async throws {
        try await withMemoryService { status in
            await status.registerChatServer(ChatServerInfo(id: "s", host: "h", port: 1))
            let cameOnline = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<50 {
                    group.addTask { await status.connectionOpened(user: 7, chatServerID: "s") }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(cameOnline == 1)
            #expect(await status.connectionCounts() == ["s": 50])

            let wentOffline = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<50 {
                    group.addTask { await status.connectionClosed(user: 7, chatServerID: "s") }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(wentOffline == 1)
            #expect(await status.connectionCounts() == ["s": 0])
            #expect(await status.onlineUsers(among: [7]).isEmpty)
        }
    }
}
