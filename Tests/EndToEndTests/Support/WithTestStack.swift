import ChatServices

/// Starts a `TestStack`, runs `body` on it, and then always
/// awaits `stop()`, also when `body` throws: the sessions signed in through the stack are stopped,
/// the servers shut down, and the stack's temporary directory (data, dev mailbox and the clients'
/// cache files) is removed before the test returns.
///
/// Tests used to clean up with `defer { Task { await stack.stop() } }`. That stop was not
/// awaited: it outlived the test, overlapping the tests after it, and the process could end
/// before it ran, leaking the temporary directories.
func withTestStack<T>(
    chatServers: Int = 1,
    tokenLifetimeSeconds: Int64 = 3600,
    idleTimeoutSeconds: Int64 = 45,
    helloTimeoutSeconds: Int64 = 10,
    limits: RateLimitPolicy = TestStack.defaultLimits,
    maxConnections: Int = 16_000,
    clock: WallClock = .system,
    _ body: (TestStack) async throws -> T
) async throws -> T {
    let stack = try await TestStack.start(
        chatServers: chatServers,
        tokenLifetimeSeconds: tokenLifetimeSeconds,
        idleTimeoutSeconds: idleTimeoutSeconds,
        helloTimeoutSeconds: helloTimeoutSeconds,
        limits: limits,
        maxConnections: maxConnections,
        clock: clock
    )
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
