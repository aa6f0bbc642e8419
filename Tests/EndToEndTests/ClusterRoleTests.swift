import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import StoreTestSupport
import Testing

/// `wechat-server verify|status|gate` as separate processes on a real PostgreSQL and Redis,
/// talking gRPC: what a cluster is made of, tried from a client's side.
@Suite(.tags(.cluster)) struct ClusterRoleTests {
    /// A code asked for through one gate is mailed by the verify process and accepted by another
    /// gate; the account is in PostgreSQL, so either gate knows it.
    @Test func anyGateRegistersWithACodeAnotherGateAskedFor() async throws {
        try await ClusterProcesses.with(gates: 2) { cluster in
            let urls = try await cluster.gateURLs
            let first = GateClient(baseURL: urls[0])
            let second = GateClient(baseURL: urls[1])
            #expect(try await first.health().status == "ok")

            try await first.requestCode(email: "ann@example.com", purpose: .register)
            let code = try #require(DevMailbox.latestCode(for: "ann@example.com", inMailboxAt: cluster.mailboxPath))
            let account = try await second.register(
                username: "ann",
                email: "ann@example.com",
                password: "correct horse battery",
                code: code
            )
            #expect(account.username == "ann")
            // The code is spent everywhere, and the send limit is shared: it lives in Redis.
            let again = await #expect(throws: ChatError.self) {
                try await second.requestCode(email: "ann@example.com", purpose: .register)
            }
            #expect(again?.code == .emailTaken || again?.code == .rateLimited)
            // Signing in reaches the status service; with no chat node running, it says so.
            let signIn = await #expect(throws: ChatError.self) {
                try await first.login(account: "ann", password: "correct horse battery")
            }
            #expect(signIn?.code == .unavailable)
            #expect(signIn?.message.contains("No chat server") == true)
            let wrong = await #expect(throws: ChatError.self) {
                try await second.login(account: "ann", password: "wrong horse battery")
            }
            #expect(wrong?.code == .invalidCredentials)
        }
    }

    /// Status restarting: calls that need it get 503 with Retry-After, naming it, at once; once it
    /// is back the gate uses it again with no manual step.
    @Test func aStatusRestartIsUnavailableThenRecoversOnItsOwn() async throws {
        try await ClusterProcesses.with { cluster in
            let gate = GateClient(baseURL: try await cluster.gateURLs[0])
            await Self.expectCode(.invalidToken) { _ = try await gate.chatServer(token: "no-such-token") }

            let status = try #require(cluster.status.withLock { $0 })
            _ = try await status.stop(signal: SIGKILL)
            let started = ContinuousClock.now
            let down = await #expect(throws: ChatError.self) {
                _ = try await gate.chatServer(token: "no-such-token")
            }
            #expect(down?.code == .unavailable)
            #expect(down?.message.contains("status service at 127.0.0.1:\(cluster.statusPort)") == true)
            #expect(down?.retryAfterSeconds != nil)
            #expect(ContinuousClock.now - started < .seconds(10))

            try await cluster.startStatus()
            let deadline = ContinuousClock.now + .seconds(15)
            var answer: ChatError?
            repeat {
                do {
                    _ = try await gate.chatServer(token: "no-such-token")
                } catch let error as ChatError {
                    answer = error
                }
                if answer?.code == .invalidToken { break }
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < deadline
            #expect(answer?.code == .invalidToken)
        }
    }

    /// A dependency that is missing or down at start is one plain sentence and exit 2.
    @Test func aMissingOrUnreachableDependencyIsASentenceAndExit2() async throws {
        try await ClusterProcesses.with(gates: 0) { cluster in
            let noStatus = try cluster.gateProcess(status: "127.0.0.1:\(try PortFinder.freePort())")
            #expect(try await noStatus.exitStatus(timeout: 30) == 2)
            #expect(noStatus.stderr.contains("wechat-server gate: cannot start: the status service at 127.0.0.1:"))
            #expect(noStatus.stderr.contains("does not answer"))

            let noRedis = try ServerProcess(arguments: ["verify", "--listen", "127.0.0.1:0"], takesDataDirectory: true)
            #expect(try await noRedis.exitStatus(timeout: 30) == 2)
            #expect(noRedis.stderr.contains("This role needs Redis: give --redis"))

            let deadRedis = try ServerProcess(
                arguments: [
                    "status", "--redis", "redis://127.0.0.1:\(try PortFinder.freePort())", "--postgres",
                    cluster.postgresURL,
                ],
                takesDataDirectory: false
            )
            #expect(try await deadRedis.exitStatus(timeout: 30) == 2)
            #expect(deadRedis.stderr.contains("cannot start: Redis at 127.0.0.1:"))
        }
    }

    static func expectCode(
        _ code: ErrorCode,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        let error = await #expect(throws: ChatError.self, sourceLocation: sourceLocation) { try await body() }
        #expect(error?.code == code, sourceLocation: sourceLocation)
    }
}
