import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Testing

/// Limits per user rather than per connection: opening more connections buys no more.
@Suite struct PerUserLimitsTests {
    /// Requests other than messages draw from one budget per user, across connections and
    /// chat servers; another user is not slowed.
    @Test(arguments: Deployment.allCases) func requestsShareOneBudgetPerUserAcrossConnections(
        _ deployment: Deployment
    ) async throws {
        try await withTestStack(deployment, chatServers: 2) { stack in
            let alice = try await stack.user("alice")
            let bob = try await stack.user("bob")
            let connections = [
                try await RawClient.connect(token: alice.credentials.token, port: stack.chatPorts[0]),
                try await RawClient.connect(token: alice.credentials.token, port: stack.chatPorts[1]),
            ]
            // All at once, so the budget's refill over the run stays small beside its burst.
            let started = ContinuousClock.now
            let refused = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<600 {
                    group.addTask {
                        do {
                            _ = try await connections[index % 2].request(.listFriends(WireListFriends()))
                            return false
                        } catch {
                            return (error as? ChatError)?.code == .rateLimited
                        }
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            let seconds = Double((ContinuousClock.now - started).components.seconds) + 1
            let budget = RateLimitPolicy().requestsPerUser
            // What the budget allows in that time, plus what leases from Redis may overshoot.
            let allowed = Int(budget.burst + budget.perSecond * seconds) + 100
            #expect(refused > 0)
            #expect(
                600 - refused <= allowed,
                "\(600 - refused) of 600 served in \(seconds) s; the budget allows \(allowed)"
            )
            // Bob's own budget is untouched.
            let other = try await RawClient.connect(token: bob.credentials.token, port: stack.chatPorts[0])
            guard case .friendList = try await other.request(.listFriends(WireListFriends())) else {
                Issue.record("bob was refused")
                return
            }
            for connection in connections + [other] { await connection.close() }
        }
    }

    /// One token opening connection after connection: past the per-user cap its oldest are
    /// closed, told why, and the newest work.
    @Test func aUserPastTheDeviceCapLosesTheOldestConnections() async throws {
        try await withTestStack { stack in
            try await stack.register("alice")
            let login = try await stack.gate.login(account: "alice", password: "correct horse")
            var connections: [ChatConnection] = []
            for _ in 0..<20 {
                connections.append(try await RawClient.connect(stack: stack, token: login.token))
            }
            for (index, connection) in connections.enumerated() {
                let answered = (try? await connection.request(.ping(WirePing()))) != nil
                #expect(answered == (index >= 4), "connection \(index) answered: \(answered)")
            }
            #expect(await connections[0].closeReason?.code == .invalidToken)
            for connection in connections { await connection.close() }
        }
    }
}
