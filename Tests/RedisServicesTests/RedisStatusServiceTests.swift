import ChatProtocol
import ChatServices
import RedisClient
import RedisServices
import RedisTestSupport
import ServiceLifecycle
import StoreTestSupport
import Testing

/// The registry, load and presence on a real `redis-server`: the status service's contract, and
/// what only a cluster has (silent nodes, a restarted status process, a flushed Redis).
@Suite struct RedisStatusServiceTests {
    /// A service on `redis` and `db`. Chat servers go silent after ten minutes unless a test
    /// says otherwise: on a busy machine seconds can pass between a test's steps.
    static func service(
        _ redis: RedisConnection,
        _ db: TestDatabase,
        silentAfterMs: Int64 = 600_000,
        clock: WallClock = .system
    ) -> RedisStatusService {
        RedisStatusService(
            redis: redis,
            sessions: db.sessions,
            tokenLifetimeSeconds: 3_600,
            silentAfterMs: silentAfterMs,
            clock: clock,
            logger: .quiet
        )
    }

    @Test(arguments: StatusServiceContract.scenarios)
    func contract(_ scenario: StatusScenario) async throws {
        try await RedisServer.with { server async throws in
            try await withTemporaryDirectory { directory in
                let db = try TestDatabase(in: directory)
                let redis = server.connection()
                try await scenario.run(Self.service(redis, db), db)
                await redis.close()
            }
        }
    }

    @Test func aSilentChatServerIsNotAssignedAndIsDroppedWithItsPresence() async throws {
        try await RedisServer.with { server async throws in
            try await withTemporaryDirectory { directory in
                let clock = ManualWallClock()
                let redis = server.connection()
                let status = Self.service(
                    redis,
                    try TestDatabase(in: directory),
                    silentAfterMs: 3_000,
                    clock: clock.clock
                )
                await status.registerChatServer(ChatServerInfo(id: "alive", host: "127.0.0.2", port: 7001))
                await status.registerChatServer(ChatServerInfo(id: "dying", host: "127.0.0.3", port: 7001))
                _ = await status.connectionOpened(user: 1, chatServerID: "dying")
                _ = await status.connectionOpened(user: 2, chatServerID: "dying")
                _ = await status.connectionOpened(user: 2, chatServerID: "alive")

                // "alive" keeps beating, "dying" stops: past three seconds it gets no sign-ins.
                clock.advance(byMs: 2_000)
                #expect(try await status.chatServerHeartbeat(id: "alive"))
                clock.advance(byMs: 1_500)
                for _ in 0..<4 { #expect(try await status.assignChatServer().id == "alive") }
                #expect(status.chatServers(of: 1) == ["dying"])

                // The sweep drops it: its users are offline unless they are elsewhere too.
                #expect(await status.sweepSilentChatServers() == ["dying"])
                #expect(await status.sweepSilentChatServers().isEmpty)
                #expect(await status.onlineUsers(among: [1, 2]) == [2])
                #expect(status.chatServers(of: 1).isEmpty)
                #expect(status.chatServers(of: 2) == ["alive"])
                #expect(await status.connectionCounts() == ["alive": 1])
                // Its next heartbeat (a pause, not a crash) tells it to register again.
                #expect(try await status.chatServerHeartbeat(id: "dying") == false)
                await redis.close()
            }
        }
    }

    @Test func theSweeperServiceDropsASilentNodeOnItsOwnAndStopsOnShutdown() async throws {
        try await RedisServer.with { server async throws in
            try await withTemporaryDirectory { directory in
                let clock = ManualWallClock()
                let redis = server.connection()
                let status = Self.service(
                    redis,
                    try TestDatabase(in: directory),
                    silentAfterMs: 3_000,
                    clock: clock.clock
                )
                await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1), connections: [1: 1])
                let group = ServiceGroup(
                    services: [SilentChatServerSweeper(status: status, interval: .milliseconds(20))],
                    logger: .quiet
                )
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    tasks.addTask { try await group.run() }
                    try await Task.sleep(for: .milliseconds(100))
                    #expect(await status.onlineUsers(among: [1]) == [1])
                    clock.advance(byMs: 3_001)
                    let deadline = ContinuousClock.now + .seconds(10)
                    while await status.onlineUsers(among: [1]) == [1], ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(await status.onlineUsers(among: [1]).isEmpty)
                    #expect(try await status.chatServerHeartbeat(id: "a") == false)
                    await group.triggerGracefulShutdown()
                    try await tasks.waitForAll()
                }
                await redis.close()
            }
        }
    }

    @Test func aSweepDoesNotDropANodeThatRegisteredAgain() async throws {
        try await RedisServer.with { server async throws in
            try await withTemporaryDirectory { directory in
                let clock = ManualWallClock()
                let redis = server.connection()
                let status = Self.service(
                    redis,
                    try TestDatabase(in: directory),
                    silentAfterMs: 3_000,
                    clock: clock.clock
                )
                await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1), connections: [1: 1])
                clock.advance(byMs: 5_000)
                // It paused, then registered again before the sweep ran.
                await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1), connections: [1: 1])
                #expect(await status.sweepSilentChatServers().isEmpty)
                #expect(status.chatServers(of: 1) == ["a"])
                #expect(try await status.assignChatServer().id == "a")
                await redis.close()
            }
        }
    }

    @Test func concurrentChangesLeaveTheLocalCopyAsRedisHasIt() async throws {
        try await RedisServer.with { server async throws in
            try await withTemporaryDirectory { directory in
                let redis = server.connection()
                let status = Self.service(redis, try TestDatabase(in: directory))
                for round in 0..<20 {
                    let user = UserID(100 + round)
                    // Two connections open on two nodes and close again, all at once.
                    await withTaskGroup(of: Void.self) { group in
                        for node in ["s1", "s2", "s1", "s2"] {
                            group.addTask { _ = await status.connectionOpened(user: user, chatServerID: node) }
                        }
                    }
                    #expect(status.chatServers(of: user).sorted() == ["s1", "s2"])
                    await withTaskGroup(of: Void.self) { group in
                        for node in ["s1", "s2", "s1"] {
                            group.addTask { _ = await status.connectionClosed(user: user, chatServerID: node) }
                        }
                    }
                    #expect(status.chatServers(of: user) == ["s2"])
                }
                await redis.close()
            }
        }
    }

    @Test func aRestartedStatusProcessKnowsWhoIsWhere() async throws {
        try await RedisServer.with { server async throws in
            try await withTemporaryDirectory { directory in
                let db = try TestDatabase(in: directory)
                let first = Self.service(server.connection(), db)
                await first.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1))
                _ = await first.connectionOpened(user: 7, chatServerID: "a")
                _ = await first.connectionOpened(user: 8, chatServerID: "b")
                let token = try await first.issueToken(for: try await db.makeUser("alice").id)

                let second = Self.service(server.connection(), db)
                #expect(second.chatServers(of: 7).isEmpty)
                try await second.loadPresence()
                #expect(second.chatServers(of: 7) == ["a"])
                #expect(second.chatServers(of: 8) == ["b"])
                #expect(await second.connectionCounts() == ["a": 1])
                #expect(try await second.assignChatServer().id == "a")
                #expect(try await second.authenticate(token: token.token).userID == token.userID)
            }
        }
    }

    @Test func afterRedisIsFlushedNodesRegisterAgainAndPresenceIsRebuilt() async throws {
        try await RedisServer.with { server async throws in
            try await withTemporaryDirectory { directory in
                let db = try TestDatabase(in: directory)
                let alice = try await db.makeUser("alice")
                let redis = server.connection()
                let status = Self.service(redis, db)
                await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1))
                _ = await status.connectionOpened(user: alice.id, chatServerID: "a")
                // Bob was on "a" before the flush, and left while Redis was away.
                _ = await status.connectionOpened(user: 77, chatServerID: "a")
                let token = try await status.issueToken(for: alice.id)

                try await redis.send(["FLUSHALL"])
                // Sessions are in the database: nobody is signed out.
                #expect(try await status.authenticate(token: token.token).userID == alice.id)
                // What a chat node's heartbeat loop does: unknown, so register with its connections.
                #expect(try await status.chatServerHeartbeat(id: "a") == false)
                await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1), connections: [alice.id: 1])
                #expect(try await status.chatServerHeartbeat(id: "a") == true)
                #expect(await status.onlineUsers(among: [alice.id, 77]) == [alice.id])
                #expect(status.chatServers(of: alice.id) == ["a"])
                // This process's copy forgets him too, though its versions came before the flush.
                #expect(status.chatServers(of: 77).isEmpty)
                #expect(await status.connectionCounts() == ["a": 1])
                #expect(try await status.assignChatServer().id == "a")
                await redis.close()
            }
        }
    }

    @Test func redisDownIsUnavailableNotAHang() async throws {
        try await RedisServer.with { server async throws in
            try await withTemporaryDirectory { directory in
                let redis = server.connection(timeout: .milliseconds(500))
                let status = Self.service(redis, try TestDatabase(in: directory))
                await status.registerChatServer(ChatServerInfo(id: "a", host: "h", port: 1))
                server.stop()
                let error = await #expect(throws: ChatError.self) { try await status.assignChatServer() }
                #expect(error?.code == .unavailable)
                // Presence degrades to "nobody known online" rather than failing the caller.
                #expect(await status.onlineUsers(among: [1]).isEmpty)
                // A heartbeat cannot tell: it throws, and the node does not start afresh.
                await #expect(throws: ChatError.self) { try await status.chatServerHeartbeat(id: "a") }
                await redis.close()
            }
        }
    }

    /// The feed a status process serves its chat nodes: a snapshot, then each change in order,
    /// including a node dropped with everyone on it.
    @Test func thePresenceFeedStartsWithASnapshotThenFollowsEveryChange() async throws {
        try await RedisServer.with { server async throws in
            try await withTemporaryDirectory { directory in
                let redis = server.connection()
                let status = Self.service(redis, try TestDatabase(in: directory))
                _ = await status.connectionOpened(user: 1, chatServerID: "a")
                var updates = status.watchPresence().makeAsyncIterator()
                #expect(await updates.next() == PresenceUpdate(isSnapshot: true, users: [1: ["a"]]))

                _ = await status.connectionOpened(user: 2, chatServerID: "b")
                #expect(await updates.next() == PresenceUpdate(isSnapshot: false, users: [2: ["b"]]))
                _ = await status.connectionClosed(user: 1, chatServerID: "a")
                #expect(await updates.next() == PresenceUpdate(isSnapshot: false, users: [1: []]))
                _ = await status.connectionOpened(user: 3, chatServerID: "b")
                _ = await updates.next()
                await status.unregisterChatServer(id: "b")
                let dropped = await updates.next()
                #expect(dropped?.isSnapshot == false)
                #expect(dropped?.users == [2: [], 3: []])
                await redis.close()
            }
        }
    }
}
