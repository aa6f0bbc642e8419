import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Testing

/// A service or database going away under a cluster with a chat in progress, seen from real
/// clients: what they are told while it is gone, and that nothing is lost once it is back.
/// (The chat node, status and Redis are killed in the cluster fault test; status restarting
/// under a gate is in `ClusterRoleTests`.)
@Suite(.tags(.cluster)) struct ClusterOutageTests {
    /// PostgreSQL crashing: a message sent meanwhile is answered `unavailable` within the commit
    /// deadline (never a hang), sign-ins get 503, the client's outbox keeps what was typed and
    /// sends it again, and once the database is back each message arrives exactly once, in order.
    @Test func messagesSentWhilePostgresIsDownAreRetriedAndNoneIsLost() async throws {
        try await withTestStack(.cluster) { stack in
            let cluster = try #require(stack.cluster)
            let (alice, bob, aliceID, bobID) = try await stack.friends()
            try await alice.send("before the database went", to: bobID)
            try await eventually {
                await bob.state.conversations[aliceID]?.lastMessage?.text == "before the database went"
            }
            // A bare connection, to see the server's own answer rather than the outbox's retries.
            let raw = try await RawClient.connect(stack: stack, token: alice.credentials.token)

            cluster.postgres.crash()
            let started = ContinuousClock.now
            let refusal = await AuthorizationTests.refusal {
                try await AuthorizationTests.send(raw, "answered while the database is down", to: bobID)
            }
            #expect(refusal == .unavailable)
            #expect(ContinuousClock.now - started < .seconds(15))
            let signInStarted = ContinuousClock.now
            await ClusterRoleTests.expectCode(.unavailable) {
                _ = try await stack.gate.login(account: "alice", password: "correct horse")
            }
            #expect(ContinuousClock.now - signInStarted < .seconds(10))

            let typed = (1...5).map { "typed while the database was down \($0)" }
            for text in typed { try await alice.send(text, to: bobID) }
            try await Task.sleep(for: .seconds(2))
            #expect(await alice.state.outbox.map(\.text) == typed, "the outbox keeps what was typed")

            try await cluster.postgres.startAgain()
            try await eventually(60, "the outbox emptied") { await alice.state.outbox.isEmpty }
            try await eventually { await bob.state.conversations[aliceID]?.lastMessage?.text == typed.last }
            let history = try await bob.history(with: aliceID).map(\.text).reversed()
            let expected = ["before the database went"] + typed
            #expect(history.filter { expected.contains($0) } == expected, "each exactly once, in order")
            let sequenceNumbers = try await bob.history(with: aliceID).map(\.seq)
            #expect(Set(sequenceNumbers).count == sequenceNumbers.count)

            // Sign-ins work again with no manual step.
            let again = try await stack.gate.login(account: "bob", password: "correct horse")
            #expect(!again.token.isEmpty)
            await raw.close()
        }
    }

    /// Verify restarting: chats in progress go on; asking for a code meanwhile is 503 naming the
    /// verify service, with Retry-After; once it is back, codes are sent and accepted again.
    @Test func aVerifyRestartLeavesChatsAloneAndCodesComeBack() async throws {
        try await withTestStack(.cluster) { stack in
            let cluster = try #require(stack.cluster)
            let (alice, bob, aliceID, bobID) = try await stack.friends()

            let verify = try #require(cluster.verify.withLock { $0 })
            _ = try await verify.stop(signal: SIGKILL)
            let refused = await #expect(throws: ChatError.self) {
                try await stack.gate.requestCode(email: "carol@example.com", purpose: .register)
            }
            #expect(refused?.code == .unavailable)
            #expect(refused?.message.contains("verify service at 127.0.0.1:\(cluster.verifyPort)") == true)
            #expect(refused?.retryAfterSeconds != nil)
            // More tries than the per-email limit allows in an hour (5): none is counted against
            // the person, because no mail went out.
            for _ in 0..<6 {
                await ClusterRoleTests.expectCode(.unavailable) {
                    try await stack.gate.requestCode(email: "carol@example.com", purpose: .register)
                }
            }

            try await alice.send("verify is down and we still talk", to: bobID)
            try await eventually {
                await bob.state.conversations[aliceID]?.lastMessage?.text == "verify is down and we still talk"
            }
            try await bob.send("so we do", to: aliceID)
            try await eventually { await alice.state.conversations[bobID]?.lastMessage?.text == "so we do" }

            try await cluster.startVerify()
            let deadline = ContinuousClock.now + .seconds(20)
            var sent = false
            while !sent, ContinuousClock.now < deadline {
                do {
                    try await stack.gate.requestCode(email: "carol@example.com", purpose: .register)
                    sent = true
                } catch let error as ChatError where error.code == .unavailable {
                    try await Task.sleep(for: .milliseconds(250))
                }
            }
            #expect(sent, "codes are sent again once verify is back")
            let carol = try await stack.gate.register(
                username: "carol",
                email: "carol@example.com",
                password: "correct horse",
                code: try stack.mailedCode(for: "carol@example.com")
            )
            #expect(carol.username == "carol")
        }
    }
}
