import ChatProtocol
import ChatServices
import Testing

/// One behaviour every `StatusService` must have, run against each implementation (in process,
/// and on Redis) by their test suites with a fresh service and database.
public struct StatusScenario: Sendable, CustomTestStringConvertible {
    public let name: String
    public let run: @Sendable (any StatusService, TestDatabase) async throws -> Void

    init(_ name: String, _ run: @escaping @Sendable (any StatusService, TestDatabase) async throws -> Void) {
        self.name = name
        self.run = run
    }

    public var testDescription: String { name }
}

/// The status service's contract: tokens (issued for 3,600 s), chat-server registry and
/// assignment, presence. The scenarios use chat-server ids that were never registered for
/// presence on purpose: presence is about connections, whoever reports them.
public enum StatusServiceContract {
    public static let scenarios: [StatusScenario] = [
        StatusScenario("issuedTokenAuthenticatesItsUser") { status, db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")

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
            #expect(try await status.authenticate(token: issued.token).userID == alice.id)

            let bobs = try await status.issueToken(for: bob.id)
            let alicesSecond = try await status.issueToken(for: alice.id)
            #expect(Set([issued.token, bobs.token, alicesSecond.token]).count == 3)
            #expect(try await status.authenticate(token: bobs.token).userID == bob.id)
            #expect(try await status.authenticate(token: alicesSecond.token).userID == alice.id)
            #expect(try await status.authenticate(token: issued.token).userID == alice.id)
        },
        StatusScenario("unknownOrMalformedTokensAreRefused") { status, db async throws in
            let alice = try await db.makeUser("alice")
            let issued = try await status.issueToken(for: alice.id)

            await StatusServiceContract.expectInvalidToken(status, "")
            await StatusServiceContract.expectInvalidToken(status, "not-a-token")
            await StatusServiceContract.expectInvalidToken(status, String(issued.token.dropLast()))
            await StatusServiceContract.expectInvalidToken(status, issued.token + "x")
            await StatusServiceContract.expectInvalidToken(
                status,
                issued.token.uppercased() == issued.token ? issued.token.lowercased() : issued.token.uppercased()
            )
            await StatusServiceContract.expectInvalidToken(status, String(repeating: "a", count: 10_000))
            await StatusServiceContract.expectInvalidToken(status, "' OR 1=1 --")
            #expect(try await status.revokeToken(String(repeating: "a", count: 10_000)) == false)
            // None of that disturbed the real one.
            #expect(try await status.authenticate(token: issued.token).userID == alice.id)
        },
        StatusScenario("revokedTokenNoLongerAuthenticates") { status, db async throws in
            let alice = try await db.makeUser("alice")
            let first = try await status.issueToken(for: alice.id)
            let second = try await status.issueToken(for: alice.id)

            #expect(try await status.revokeToken(first.token))
            await StatusServiceContract.expectInvalidToken(status, first.token)
            #expect(try await status.revokeToken(first.token) == false)
            #expect(try await status.revokeToken("never-issued") == false)
            // The user's other session is untouched.
            #expect(try await status.authenticate(token: second.token).userID == alice.id)
        },
        StatusScenario("aUserKeepsOnlyTheNewestSessions") { status, db async throws in
            let alice = try await db.makeUser("alice")
            var tokens: [IssuedToken] = []
            for _ in 0..<(SessionTokens.maxSessionsPerUser + 2) {
                tokens.append(try await status.issueToken(for: alice.id))
            }
            var live = 0
            for token in tokens where (try? await status.authenticate(token: token.token)) != nil { live += 1 }
            #expect(live == SessionTokens.maxSessionsPerUser)
            #expect(try await status.authenticate(token: tokens.last!.token).userID == alice.id)
        },
        StatusScenario("revokeAllTokensEndsEverySessionOfThatUserOnly") { status, db async throws in
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let alices = [try await status.issueToken(for: alice.id), try await status.issueToken(for: alice.id)]
            let bobs = try await status.issueToken(for: bob.id)

            try await status.revokeAllTokens(of: alice.id)
            for token in alices {
                await StatusServiceContract.expectInvalidToken(status, token.token)
            }
            #expect(try await status.authenticate(token: bobs.token).userID == bob.id)
            // Revoking again is harmless.
            try await status.revokeAllTokens(of: alice.id)
            // And she can sign in again afterwards.
            let fresh = try await status.issueToken(for: alice.id)
            #expect(try await status.authenticate(token: fresh.token).userID == alice.id)
        },
        StatusScenario("noChatServerIsUnavailable") { status, db async throws in
            let error = await #expect(throws: ChatError.self) {
                try await status.assignChatServer()
            }
            #expect(error?.code == .unavailable)
        },
        StatusScenario("assignmentsSpreadEvenlyOverEqualServers") { status, db async throws in
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
        },
        StatusScenario("assignmentPrefersTheServerWithFewerConnections") { status, db async throws in
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
        },
        StatusScenario("pendingLoginsTurnIntoConnections") { status, db async throws in
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
        },
        StatusScenario("unregisteredServerIsNoLongerAssigned") { status, db async throws in
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
        },
        StatusScenario("presenceFollowsTheFirstAndLastConnection") { status, db async throws in
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
            await StatusServiceContract.expectChatServers(status, of: alice, ["s1", "s2"])
            await StatusServiceContract.expectChatServers(status, of: bob, ["s2"])
            await StatusServiceContract.expectChatServers(status, of: carol, [])

            #expect(await status.connectionClosed(user: alice, chatServerID: "s1") == false)
            #expect(await status.connectionClosed(user: alice, chatServerID: "s2") == false)
            await StatusServiceContract.expectChatServers(status, of: alice, ["s1"])
            #expect(await status.onlineUsers(among: [alice]) == [alice])
            #expect(await status.connectionClosed(user: alice, chatServerID: "s1") == true)
            #expect(await status.onlineUsers(among: [alice, bob, carol]) == [bob])
            await StatusServiceContract.expectChatServers(status, of: alice, [])

            // Closing what is not open changes nothing and is not "went offline".
            #expect(await status.connectionClosed(user: alice, chatServerID: "s1") == false)
            #expect(await status.connectionClosed(user: carol, chatServerID: "s2") == false)
            #expect(await status.onlineUsers(among: [alice, bob, carol]) == [bob])

            #expect(await status.connectionClosed(user: bob, chatServerID: "s2") == true)
            #expect(await status.onlineUsers(among: [alice, bob, carol]).isEmpty)
            // Coming back is "came online" again.
            #expect(await status.connectionOpened(user: alice, chatServerID: "s2") == true)
        },
        StatusScenario("concurrentConnectionsCountExactly") { status, db async throws in
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
            await StatusServiceContract.expectChatServers(status, of: 7, [])
        },
        StatusScenario("heartbeatsTellAnUnknownServerToRegister") { status, db async throws in
            #expect(try await status.chatServerHeartbeat(id: "a") == false)
            await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1))
            #expect(try await status.chatServerHeartbeat(id: "a") == true)
            await status.unregisterChatServer(id: "a")
            #expect(try await status.chatServerHeartbeat(id: "a") == false)
        },
        StatusScenario("registeringAgainReplacesWhatTheServerHadBefore") { status, db async throws in
            await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1))
            await status.registerChatServer(ChatServerInfo(id: "b", host: "h", port: 2))
            _ = await status.connectionOpened(user: 1, chatServerID: "a")
            _ = await status.connectionOpened(user: 2, chatServerID: "a")
            _ = await status.connectionOpened(user: 2, chatServerID: "b")
            // "a" registers again (say after Redis was flushed) with users 2 (twice) and 3 on it.
            await status.registerChatServer(
                ChatServerInfo(id: "a", host: "h", port: 1),
                connections: [2: 2, 3: 1, 4: 0]
            )
            #expect(await status.onlineUsers(among: [1, 2, 3, 4]) == [2, 3])
            await StatusServiceContract.expectChatServers(status, of: 1, [])
            await StatusServiceContract.expectChatServers(status, of: 2, ["a", "b"])
            await StatusServiceContract.expectChatServers(status, of: 3, ["a"])
            #expect(await status.connectionCounts() == ["a": 3, "b": 1])
            // The restored counts are live ones: two closes take user 2 off "a".
            #expect(await status.connectionClosed(user: 2, chatServerID: "a") == false)
            #expect(await status.connectionClosed(user: 2, chatServerID: "a") == false)
            await StatusServiceContract.expectChatServers(status, of: 2, ["b"])
            #expect(await status.connectionClosed(user: 3, chatServerID: "a") == true)
            #expect(await status.connectionCounts() == ["a": 0, "b": 1])
            // A restart with nobody on it yet forgets everyone who was.
            _ = await status.connectionOpened(user: 5, chatServerID: "b")
            await status.registerChatServer(ChatServerInfo(id: "b", host: "h", port: 2))
            #expect(await status.onlineUsers(among: [2, 5]).isEmpty)
            await StatusServiceContract.expectChatServers(status, of: 5, [])
            #expect(await status.connectionCounts() == ["a": 0, "b": 0])
        },
    ]

    /// `chatServers(of:)` answers from a copy of presence, which a service in another process
    /// keeps by a feed: it may lag a moment (longer while a whole test run shares two cores), so
    /// this waits up to ten seconds for the answer.
    public static func expectChatServers(
        _ status: any StatusService,
        of user: UserID,
        _ expected: [String],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        let deadline = ContinuousClock.now + .seconds(10)
        while status.chatServers(of: user).sorted() != expected.sorted(), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        #expect(status.chatServers(of: user).sorted() == expected.sorted(), sourceLocation: sourceLocation)
    }

    public static func expectInvalidToken(
        _ status: any StatusService,
        _ token: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        let error = await #expect(throws: ChatError.self, sourceLocation: sourceLocation) {
            try await status.authenticate(token: token)
        }
        #expect(error?.code == .invalidToken, sourceLocation: sourceLocation)
    }
}
