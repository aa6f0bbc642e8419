import ChatServices
import GateServer

/// Starts a `TestStack`, runs `body` on it, and then always
/// awaits `stop()`, also when `body` throws: the sessions signed in through the stack are stopped,
/// the servers shut down, and the stack's temporary directory (data, dev mailbox and the clients'
/// cache files) is removed before the test returns.
///
/// Tests used to clean up with `defer { Task { await stack.stop() } }`. That stop was not
/// awaited: it outlived the test, overlapping the tests after it, and the process could end
/// before it ran, leaking the temporary directories.
func withTestStack<T>(
    _ deployment: Deployment = .embedded,
    chatServers: Int = 1,
    tokenLifetimeSeconds: Int64 = 3600,
    idleTimeoutSeconds: Int64 = 45,
    helloTimeoutSeconds: Int64 = 10,
    limits: RateLimitPolicy = TestStack.defaultLimits,
    maxConnections: Int = 16_000,
    gateLimits: GateConnectionLimits = GateConnectionLimits(),
    clock: WallClock = .system,
    updateLogKeepingLast: Int = 10_000,
    _ body: (TestStack) async throws -> T
) async throws -> T {
    switch deployment {
    case .embedded:
        let stack = try await TestStack.start(
            chatServers: chatServers,
            tokenLifetimeSeconds: tokenLifetimeSeconds,
            idleTimeoutSeconds: idleTimeoutSeconds,
            helloTimeoutSeconds: helloTimeoutSeconds,
            limits: limits,
            maxConnections: maxConnections,
            gateLimits: gateLimits,
            clock: clock,
            updateLogKeepingLast: updateLogKeepingLast
        )
        return try await run(body, on: stack)
    case .cluster:
        // The settings above are the embedded stack's; a cluster runs with the defaults. One
        // cluster at a time: each is a dozen processes, and two cores cannot run many.
        return try await ClusterSlot.holding {
            try await run(body, on: try await TestStack.startCluster(chatServers: chatServers))
        }
    }
}

/// Runs `body` on `stack`, then stops it, also when `body` throws.
private func run<T>(_ body: (TestStack) async throws -> T, on stack: TestStack) async throws -> T {
    let result: T
    do {
        result = try await body(stack)
    } catch {
        await stack.stop()
        throw error
    }
    await stack.stop()
    return result
}

/// Lets one cluster-deployment test run at a time, the others waiting their turn.
actor ClusterSlot {
    static let shared = ClusterSlot()

    private var taken = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !taken {
            taken = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    /// Runs `body` holding the slot, which is given up however `body` ends.
    static func holding<T>(_ body: () async throws -> T) async throws -> T {
        await shared.acquire()
        let result: T
        do {
            result = try await body()
        } catch {
            await shared.release()
            throw error
        }
        await shared.release()
        return result
    }

    func release() {
        if waiting.isEmpty {
            taken = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
