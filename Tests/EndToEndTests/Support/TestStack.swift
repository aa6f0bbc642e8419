import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import GateServer
import Logging
import ServerStack
import Synchronization
import Testing

/// The two ways the services run: all in one process on SQLite (`wechat --serve`,
/// `wechat-server`), or a cluster of processes on PostgreSQL and Redis. The end-to-end tests
/// that hold for both take one as their argument.
enum Deployment: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case embedded
    case cluster

    var testDescription: String { rawValue }
}

/// A whole server stack on free loopback ports and fresh data: in this process (embedded), or
/// as a cluster of `wechat-server` processes with verify, status, a gate and two chat nodes.
final class TestStack: Sendable {
    private let embedded: ServerStack?
    private let task: Task<Void, Error>?
    /// The processes of a cluster deployment.
    let cluster: ClusterProcesses?
    let gateURL: String
    let chatPorts: [Int]
    let mailboxPath: String
    /// The clients' cache files (and, embedded, the server's data).
    let directory: String
    /// The sessions `signIn` made, stopped by `stop()` before their cache files are removed.
    private let sessions = Mutex<[ChatSession]>([])

    var gate: GateClient { GateClient(baseURL: gateURL) }

    /// The in-process stack, for tests that look inside it (they run embedded only).
    var stack: ServerStack {
        guard let embedded else { preconditionFailure("this test looks inside the server: run it embedded") }
        return embedded
    }

    /// Tests start one through `withTestStack`, which has the defaults and always stops it.
    static func start(
        chatServers: Int,
        tokenLifetimeSeconds: Int64,
        idleTimeoutSeconds: Int64,
        helloTimeoutSeconds: Int64,
        limits: RateLimitPolicy,
        maxConnections: Int,
        gateLimits: GateConnectionLimits,
        clock: WallClock,
        updateLogKeepingLast: Int
    ) async throws -> TestStack {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wechat-test-\(UUID().uuidString)"
        ).path
        var configuration = ServerStackConfiguration(dataDirectory: directory)
        configuration.gatePort = 0
        configuration.chatPort = 0
        configuration.chatServers = chatServers
        // The lowest cost keeps tests fast; the hashing path is the same.
        configuration.bcryptCost = 4
        configuration.tokenLifetimeSeconds = tokenLifetimeSeconds
        configuration.idleTimeoutSeconds = idleTimeoutSeconds
        configuration.helloTimeoutSeconds = helloTimeoutSeconds
        configuration.limits = limits
        configuration.maxConnections = maxConnections
        configuration.gateLimits = gateLimits
        configuration.clock = clock
        configuration.updateLog.keepingLast = updateLogKeepingLast
        var logger = Logger(label: "test-stack")
        logger.logLevel = ProcessInfo.processInfo.environment["TEST_LOG"] == nil ? .critical : .debug
        let stack: ServerStack
        do {
            stack = try ServerStack(configuration: configuration, logger: logger)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        let task = Task { try await stack.run() }
        let endpoints = await stack.endpoints()
        return TestStack(
            embedded: stack,
            task: task,
            cluster: nil,
            gateURL: endpoints.gateURL,
            chatPorts: endpoints.chatPorts,
            mailboxPath: stack.configuration.mailboxPath,
            directory: directory
        )
    }

    /// A cluster: PostgreSQL, Redis, verify, status, one gate and `chatServers` chat nodes, each
    /// its own process. Its gate keeps the default rate limits and bcrypt cost.
    static func startCluster(chatServers: Int) async throws -> TestStack {
        let cluster = try await ClusterProcesses.start(gates: 1, chatNodes: 0)
        var ports: [Int] = []
        do {
            for _ in 0..<chatServers { ports.append(try await cluster.startChatNode()) }
        } catch {
            cluster.stop()
            throw error
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wechat-test-\(UUID().uuidString)"
        ).path
        return TestStack(
            embedded: nil,
            task: nil,
            cluster: cluster,
            gateURL: try await cluster.gateURLs[0],
            chatPorts: ports,
            mailboxPath: cluster.mailboxPath,
            directory: directory
        )
    }

    /// The server's defaults, except that every test registers its users from the same loopback
    /// address, which the per-address mail limit would otherwise cut off after 20 sign-ups.
    static var defaultLimits: RateLimitPolicy {
        var limits = RateLimitPolicy()
        limits.codeSendsPerAddress = .unlimited
        limits.signInFailuresPerAddress = .never
        limits.chatServerLookupsPerAddress = .unlimited
        return limits
    }

    private init(
        embedded: ServerStack?,
        task: Task<Void, Error>?,
        cluster: ClusterProcesses?,
        gateURL: String,
        chatPorts: [Int],
        mailboxPath: String,
        directory: String
    ) {
        self.embedded = embedded
        self.task = task
        self.cluster = cluster
        self.gateURL = gateURL
        self.chatPorts = chatPorts
        self.mailboxPath = mailboxPath
        self.directory = directory
    }

    /// Stops the sessions signed in through `signIn`, then the servers, and removes `directory`
    /// (the data, the dev mailbox and the clients' cache files).
    func stop() async {
        for session in sessions.withLock({ $0 }) { await session.stop() }
        if let task {
            task.cancel()
            _ = await task.result
        }
        cluster?.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The code the dev mailbox holds for `email`, as a person would read it.
    func mailedCode(for email: String) throws -> String {
        guard let code = DevMailbox.latestCode(for: email, inMailboxAt: mailboxPath) else {
            throw ChatError(.notFound, "no code mailed to \(email)")
        }
        return code
    }

    /// Registers through the gate exactly as a person would: ask for a code, read it, sign up.
    @discardableResult
    func register(_ username: String, password: String = "correct horse") async throws -> GateAPI.RegisterResponse {
        let email = "\(username.lowercased())@example.com"
        try await gate.requestCode(email: email, purpose: .register)
        return try await gate.register(
            username: username,
            email: email,
            password: password,
            code: try mailedCode(for: email)
        )
    }

    /// Signs in and connects a session with its own cache file; waits until it is caught up.
    func signIn(
        _ account: String,
        password: String = "correct horse",
        cacheName: String? = nil
    ) async throws -> ChatSession {
        let path = "\(directory)/clients/\(cacheName ?? account)-\(UUID().uuidString).sqlite"
        let session = try await ChatSession.signIn(
            gateURL: gateURL,
            account: account,
            password: password,
            cachePath: path,
            logger: RawClient.quietLogger
        )
        sessions.withLock { $0.append(session) }
        await session.start()
        try await withTimeout { await session.waitUntilConnected() }
        return session
    }

    /// Registers and signs in.
    func user(_ username: String) async throws -> ChatSession {
        try await register(username)
        return try await signIn(username)
    }

    /// Two signed-in users, alice and bob, who are already friends: the start of most tests.
    func friends() async throws -> (alice: ChatSession, bob: ChatSession, aliceID: UserID, bobID: UserID) {
        let alice = try await user("alice")
        let bob = try await user("bob")
        try await befriend(alice, bob)
        return (alice, bob, await alice.state.me.id, await bob.state.me.id)
    }

    /// Sends a friend request from `a` to `b` and waits until `b` has it.
    func request(from a: ChatSession, to b: ChatSession, message: String = "hi") async throws {
        let bID = await b.state.me.id
        let aID = await a.state.me.id
        try await a.sendFriendRequest(to: bID, message: message)
        try await eventually { await b.state.incomingRequests.contains { $0.from.id == aID } }
    }

    /// Makes two signed-in users friends, through a request and an accept.
    func befriend(_ a: ChatSession, _ b: ChatSession) async throws {
        let bID = await b.state.me.id
        let aID = await a.state.me.id
        try await request(from: a, to: b)
        try await b.respondToFriendRequest(from: aID, accept: true)
        try await eventually { await a.state.friends[bID] != nil }
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var description: String
}

/// Runs `body`, failing if it takes longer than `seconds`. The default is generous: it only
/// bounds a failure, and a cluster test beside the rest of the run can keep both cores busy.
func withTimeout<T: Sendable>(
    _ seconds: Double = 30,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            throw TimedOut(description: "timed out after \(seconds) s")
        }
        let result = try await group.next()!
        group.cancelAll()
        return result
    }
}

/// Polls `condition` until it holds, failing after `seconds`.
func eventually(
    _ seconds: Double = 30,
    _ what: String = "condition",
    _ condition: @escaping @Sendable () async throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TimedOut(description: "\(what) did not hold within \(seconds) s")
}
