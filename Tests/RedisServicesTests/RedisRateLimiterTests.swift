import ChatServices
import NIOCore
import RedisClient
import RedisServices
import RedisTestSupport
import StoreTestSupport
import Testing

/// Limits shared through a real `redis-server`: two limiters stand for two chat nodes or gates.
@Suite struct RedisRateLimiterTests {
    static let messages = RateLimit(perSecond: 20, burst: 100)
    /// A deadline no busy test machine reaches: a Redis call that timed out would let events
    /// through (the limiter fails open), and the counts below would measure the machine.
    static let patient = TimeAmount.seconds(60)

    /// A limiter standing for one gate or chat node, on its own connection to `server`.
    static func limiter(_ server: RedisServer, _ clock: ManualWallClock) -> RedisRateLimiter {
        RedisRateLimiter(redis: server.connection(timeout: patient), clock: clock.clock, logger: .quiet)
    }

    @Test func oneBucketIsSharedByEveryProcess() async throws {
        try await RedisServer.with { server async throws in
            let clock = ManualWallClock()
            let one = Self.limiter(server, clock)
            let two = Self.limiter(server, clock)
            let limit = RateLimit(perSecond: 1, burst: 10)
            var allowed = 0
            for index in 0..<10 {
                let limiter = index.isMultiple(of: 2) ? one : two
                if await limiter.take("signin:alice", limit: limit) == nil { allowed += 1 }
            }
            #expect(allowed == 10)
            // The eleventh is refused on either, with the wait until the next token.
            #expect(await one.take("signin:alice", limit: limit) == 1)
            #expect(await two.take("signin:alice", limit: limit) == 1)
            // Another key has its own bucket.
            #expect(await two.take("signin:bob", limit: limit) == nil)
            // Time refills it, for everyone.
            clock.advance(byMs: 2_000)
            #expect(await two.take("signin:alice", limit: limit) == nil)
            #expect(await one.take("signin:alice", limit: limit) == nil)
            #expect(await one.take("signin:alice", limit: limit) != nil)
        }
    }

    /// A deep, slow bucket (the daily storage quota, in KiB) leases a share of its depth at a time;
    /// what a node leased and did not spend before the lease expired goes back to the shared
    /// bucket. Before, each expired lease was lost: a 1 KiB message a few seconds apart cost
    /// 257 KiB of the day's quota, and about 255 messages used up a whole day.
    @Test func aQuotasUnspentLeasesGoBackToTheSharedBucket() async throws {
        try await RedisServer.with { server async throws in
            let clock = ManualWallClock()
            let node = Self.limiter(server, clock)
            let quota = RateLimit.per(86_400, 65_536)
            for _ in 0..<300 {
                #expect(node.takeWithoutWaiting("message-kib:7", limit: quota, cost: 1) == nil)
                await node.settle()
                // Past the lease's life, and the bucket refills less than one token meanwhile.
                clock.advance(byMs: 1_100)
            }
            // One more fetch gives the last lease back.
            #expect(node.takeWithoutWaiting("message-kib:7", limit: quota, cost: 1) == nil)
            await node.settle()
            let redis = server.connection(timeout: Self.patient)
            let saved = try await redis.send(["HGET", RedisRateLimiter.bucketKey("message-kib:7"), "t"])
            let tokens = try #require(saved.string.flatMap(Double.init))
            // 301 KiB spent, one lease (256) out, a little refill: far from the 77,000 KiB the lost
            // leases used to cost.
            #expect(tokens > 65_536 - 301 - 256 - 1, "\(tokens) tokens left")
            #expect(tokens < 65_536 - 301 + 400, "\(tokens) tokens left")
        }
    }

    /// A token given back on one gate can be taken on another, and never beyond the burst.
    @Test func aTokenGivenBackCanBeTakenAgainButNeverBeyondTheBurst() async throws {
        try await RedisServer.with { server async throws in
            let clock = ManualWallClock()
            let one = Self.limiter(server, clock)
            let two = Self.limiter(server, clock)
            let limit = RateLimit.per(3600, 2)
            #expect(await one.take("code-email:ann", limit: limit) == nil)
            #expect(await one.take("code-email:ann", limit: limit) == nil)
            #expect(await two.take("code-email:ann", limit: limit) != nil)
            await one.giveBack("code-email:ann", limit: limit)
            #expect(await two.take("code-email:ann", limit: limit) == nil)
            #expect(await one.take("code-email:ann", limit: limit) != nil)
            for _ in 0..<3 { await two.giveBack("code-email:bob", limit: limit) }
            #expect(await one.take("code-email:bob", limit: limit) == nil)
            #expect(await one.take("code-email:bob", limit: limit) == nil)
            #expect(await one.take("code-email:bob", limit: limit) != nil)
        }
    }

    /// Attempts begun at once on two gates are counted in one step with the lockout check.
    @Test func attemptsBegunAtOnceOnTwoGatesCannotAllPassTheCheck() async throws {
        try await RedisServer.with { server async throws in
            let clock = ManualWallClock()
            let gates = [
                Self.limiter(server, clock),
                Self.limiter(server, clock),
            ]
            let backoff = FailureBackoff(freeFailures: 5)
            let admitted = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<40 {
                    group.addTask { await gates[index % 2].beginAttempt("sign-in-user:1", backoff: backoff) == nil }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(admitted == 5)
            #expect(try #require(await gates[0].beginAttempt("sign-in-user:1", backoff: backoff)) > 0)
            await gates[1].clearFailures("sign-in-user:1")
            #expect(await gates[0].beginAttempt("sign-in-user:1", backoff: backoff) == nil)
            await gates[0].forgiveAttempt("sign-in-user:1")
            await gates[0].forgiveAttempt("sign-in-user:1")
            for _ in 0..<4 { #expect(await gates[1].beginAttempt("sign-in-user:1", backoff: backoff) == nil) }
        }
    }

    @Test func aUserOnTwoNodesIsHeldToOneSharedRateWithoutWaitingOnRedis() async throws {
        try await RedisServer.with { server async throws in
            let clock = ManualWallClock()
            let nodes = [
                Self.limiter(server, clock),
                Self.limiter(server, clock),
            ]
            // A flood from two devices on two nodes: 400 messages with no time passing, Redis
            // answering every tenth message of each node.
            var allowed = 0
            for index in 0..<400 {
                let node = nodes[index % 2]
                if node.takeWithoutWaiting("msg:7", limit: Self.messages) == nil { allowed += 1 }
                if index % 20 >= 18 { await node.settle() }
            }
            for node in nodes { await node.settle() }
            // The shared burst is 100. What a node lets through on trust before Redis answers
            // (at most ten here) is charged afterwards; a share leased to one node (5 tokens) and
            // left unspent is lost to the other.
            #expect(allowed >= 90 && allowed <= 130, "allowed \(allowed)")
            // Now both refuse, with a wait in seconds.
            for node in nodes {
                let wait = try #require(node.takeWithoutWaiting("msg:7", limit: Self.messages))
                #expect(wait > 0 && wait <= 60)
            }

            // A steady sender within the rate is never refused: 10 a second for 10 seconds.
            clock.advance(byMs: 60_000)
            var refused = 0
            for index in 0..<100 {
                clock.advance(byMs: 100)
                if nodes[index % 2].takeWithoutWaiting("msg:8", limit: Self.messages) != nil { refused += 1 }
                await nodes[index % 2].settle()
            }
            #expect(refused == 0)
        }
    }

    @Test func withRedisSlowToAnswerTrustEndsAtOneBurstPerNode() async throws {
        try await RedisServer.with { server async throws in
            let clock = ManualWallClock()
            let nodes = [
                Self.limiter(server, clock),
                Self.limiter(server, clock),
            ]
            // Redis holds every write (the limiter's script is one) until the test lets it go, so
            // the pause lasts exactly as long as the loop, however loaded the machine. A timed
            // pause (500 ms, then 3 s) ran out midway in two loaded CI runs: a lease granted early
            // left a node with tokens after settling. `WRITE`, not `ALL`, so UNPAUSE gets through.
            let admin = server.connection(timeout: Self.patient)
            try await admin.send(["CLIENT", "PAUSE", "60000", "WRITE"])
            var allowed = 0
            for index in 0..<600 where nodes[index % 2].takeWithoutWaiting("msg:8", limit: Self.messages) == nil {
                allowed += 1
            }
            // Each node trusts one burst (100), no more, however long Redis takes.
            #expect(allowed == 200)
            try await admin.send(["CLIENT", "UNPAUSE"])
            for node in nodes { await node.settle() }
            // Redis charged it all: the shared bucket is empty, and both nodes refuse.
            for node in nodes { #expect(node.takeWithoutWaiting("msg:8", limit: Self.messages) != nil) }
            await admin.close()
        }
    }

    @Test func aSteadyFloodIsHeldToTheRateAcrossNodes() async throws {
        try await RedisServer.with { server async throws in
            let clock = ManualWallClock()
            let nodes = [
                Self.limiter(server, clock),
                Self.limiter(server, clock),
                Self.limiter(server, clock),
            ]
            // 100 attempts a second for 30 seconds, spread over three nodes.
            var allowed = 0
            for index in 0..<3_000 {
                clock.advance(byMs: 10)
                if nodes[index % 3].takeWithoutWaiting("msg:9", limit: Self.messages) == nil { allowed += 1 }
                await nodes[index % 3].settle()
            }
            // The policy allows the burst plus 20 a second: 100 + 600.
            #expect(allowed >= 650 && allowed <= 760, "allowed \(allowed)")
        }
    }

    @Test func failuresLockOutEverywhereAndDoubling() async throws {
        try await RedisServer.with { server async throws in
            let clock = ManualWallClock()
            let gateA = Self.limiter(server, clock)
            let gateB = Self.limiter(server, clock)
            let backoff = FailureBackoff(freeFailures: 3, baseLockoutSeconds: 2, maxLockoutSeconds: 8)
            #expect(await gateA.recordFailure("signin:account:carol", backoff: backoff) == 0)
            #expect(await gateB.recordFailure("signin:account:carol", backoff: backoff) == 0)
            #expect(await gateA.lockedOut("signin:account:carol") == nil)
            #expect(await gateB.recordFailure("signin:account:carol", backoff: backoff) == 2)
            #expect(await gateA.lockedOut("signin:account:carol") == 2)
            clock.advance(byMs: 2_000)
            #expect(await gateA.lockedOut("signin:account:carol") == nil)
            #expect(await gateA.recordFailure("signin:account:carol", backoff: backoff) == 4)
            #expect(await gateB.recordFailure("signin:account:carol", backoff: backoff) == 8)
            #expect(await gateB.recordFailure("signin:account:carol", backoff: backoff) == 8)
            #expect(await gateB.lockedOut("signin:account:carol") == 8)
            // A success clears it on every gate.
            await gateB.clearFailures("signin:account:carol")
            #expect(await gateA.lockedOut("signin:account:carol") == nil)
            #expect(await gateA.recordFailure("signin:account:carol", backoff: backoff) == 0)
            // A quiet hour forgets failures.
            _ = await gateA.recordFailure("signin:account:dave", backoff: backoff)
            _ = await gateA.recordFailure("signin:account:dave", backoff: backoff)
            clock.advance(byMs: 3_600_001)
            #expect(await gateA.recordFailure("signin:account:dave", backoff: backoff) == 0)
            #expect(await gateA.recordFailure("signin:account:never", backoff: .never) == 0)
        }
    }

    @Test func redisDownLetsEventsThroughAndIsLogged() async throws {
        try await RedisServer.with { server async throws in
            let logs = CapturedLogs()
            let limiter = RedisRateLimiter(
                redis: server.connection(timeout: .milliseconds(300)),
                logger: logs.logger
            )
            let tight = RateLimit(perSecond: 0.001, burst: 1)
            #expect(await limiter.take("k", limit: tight) == nil)
            #expect(await limiter.take("k", limit: tight) != nil)
            server.stop()
            #expect(await limiter.take("k", limit: tight) == nil)
            #expect(limiter.takeWithoutWaiting("k", limit: tight) == nil)
            await limiter.settle()
            #expect(limiter.takeWithoutWaiting("k", limit: tight) == nil)
            await limiter.settle()
            #expect(await limiter.recordFailure("k", backoff: FailureBackoff(freeFailures: 0)) == 0)
            #expect(await limiter.lockedOut("k") == nil)
            // Said once, not once per event.
            #expect(logs.messages.filter { $0.hasPrefix("error: rate limits not enforced") }.count == 1)
        }
    }

    @Test func unlimitedNeverCallsRedis() async throws {
        // No server at all: an unlimited limit must not even try (a try would fail, and say so).
        let logs = CapturedLogs()
        let limiter = RedisRateLimiter(
            redis: RedisConnection(host: "127.0.0.1", port: 1, timeout: .milliseconds(100), logger: logs.logger),
            logger: logs.logger
        )
        #expect(limiter.takeWithoutWaiting("k", limit: .unlimited) == nil)
        #expect(await limiter.take("k", limit: .unlimited) == nil)
        await limiter.settle()
        #expect(logs.messages.isEmpty)
        // (The check can fail: a limited take on the same limiter does try, and says so.)
        #expect(await limiter.take("k", limit: RateLimit(perSecond: 1, burst: 1)) == nil)
        #expect(!logs.messages.isEmpty)
    }
}
