import NIOCore
import RedisClient
import RedisTestSupport
import StoreTestSupport
import Testing

/// The client against a real `redis-server` on loopback: replies, pipelining, scripts,
/// deadlines, an unreachable server and a restart.
@Suite struct RedisConnectionTests {
    @Test func commandsAndTheirReplies() async throws {
        try await RedisServer.with { server async throws in
            let redis = server.connection()
            #expect(try await redis.send(["SET", "greeting", "你好 🙂", "PX", "60000"]).string == "OK")
            #expect(try await redis.send(["GET", "greeting"]).string == "你好 🙂")
            #expect(try await redis.send(["GET", "missing"]).isNull)
            #expect(try await redis.send(["INCR", "count"]).integer == 1)
            #expect(try await redis.send(["HSET", "h", "a", "1", "b", "2"]).integer == 2)
            let all = try await redis.send(["HGETALL", "h"]).array?.compactMap(\.string)
            #expect(all.map { Set($0) } == ["a", "1", "b", "2"])
            await #expect(throws: RedisError.self) { try await redis.send(["INCR", "greeting"]) }
            // An error reply leaves the connection in step.
            #expect(try await redis.send(["PING"]).string == "PONG")
            await redis.close()
        }
    }

    @Test func concurrentCommandsArePipelinedAndEachGetsItsOwnReply() async throws {
        try await RedisServer.with { server async throws in
            let redis = server.connection()
            let values = try await withThrowingTaskGroup(of: Int64.self) { group in
                for _ in 0..<500 {
                    group.addTask { try await redis.send(["INCR", "counter"]).integer ?? -1 }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(Set(values) == Set(1...500))
            let replies = try await redis.pipeline(
                (1...50).map { ["SET", "k\($0)", "\($0)"] } + [["MGET", "k1", "k50"]]
            )
            #expect(replies.count == 51)
            #expect(replies.last?.array?.compactMap(\.string) == ["1", "50"])
            await redis.close()
        }
    }

    @Test func luaScriptsRunAtomically() async throws {
        try await RedisServer.with { server async throws in
            let redis = server.connection()
            let script = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
            #expect(try await redis.send(["EVAL", script, "1", "tokens", "5"]).integer == 5)
            #expect(try await redis.send(["EVAL", script, "1", "tokens", "-2"]).integer == 3)
            await redis.close()
        }
    }

    @Test func aServerThatDoesNotAnswerInTimeIsUnavailableNotAHang() async throws {
        try await RedisServer.with { server async throws in
            let redis = server.connection(timeout: .milliseconds(300))
            let start = ContinuousClock.now
            // Blocks for 5 s on the server: past the deadline.
            let error = await #expect(throws: RedisError.self) { try await redis.send(["BLPOP", "nothing", "5"]) }
            #expect(ContinuousClock.now - start < .seconds(3))
            if case .unavailable = error {} else { Issue.record("not unavailable: \(String(describing: error))") }
            // The next command gets a new connection.
            #expect(try await redis.send(["PING"]).string == "PONG")
            await redis.close()
        }
    }

    @Test func anUnreachableServerIsAPlainError() async throws {
        let redis = RedisConnection(host: "127.0.0.1", port: try PortFinder.freePort(), logger: .quiet)
        let error = await #expect(throws: RedisError.self) { try await redis.send(["PING"]) }
        guard case .unavailable(let message) = error else {
            Issue.record("not unavailable: \(String(describing: error))")
            return
        }
        #expect(message.contains("127.0.0.1:\(redis.port)"))
    }

    @Test func aRestartedServerIsReconnectedTo() async throws {
        try await RedisServer.with { server async throws in
            let redis = server.connection()
            #expect(try await redis.send(["SET", "k", "v"]).string == "OK")
            try await server.restart()
            // The old connection is gone: at most the first command says so; then a new one works.
            var answered: RESPValue?
            for _ in 0..<2 where answered == nil {
                answered = try? await redis.send(["GET", "k"])
            }
            #expect(answered?.isNull == true, "the restarted server is empty")
            await redis.close()
        }
    }
}
