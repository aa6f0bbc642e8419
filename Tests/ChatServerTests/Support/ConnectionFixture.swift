import ChatProtocol
import ChatServices
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import SQLiteStores

@testable import ChatServer

/// A chat server over real SQLite stores in a temporary directory, and connections to it on
/// `NIOAsyncTestingChannel`s: the server's own pipeline (`addConnectionHandlers`), fed bytes by
/// the test, on an event loop whose clock the test moves. No sockets, so what the connection does
/// is exactly what the test made happen.
final class ConnectionFixture: Sendable {
    let directory: String
    /// nil with `inMemory` stores.
    let database: SQLiteDatabase?
    let server: ChatServer
    let alice: UserID
    let bob: UserID
    let aliceToken: String
    let bobToken: String

    /// `router`: the push router to use instead of the in-process one. `inMemory`: the stores
    /// are the test doubles in `Doubles/` instead of SQLite.
    init(limits: RateLimitPolicy = .unlimited, router: (any PushRouter)? = nil, inMemory: Bool = false) async throws {
        directory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("chat-server-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "connection-tests")
        logger.logLevel = .critical
        let users: any UserStore
        let social: any SocialStore
        let messages: any MessageStore
        let sessions: any SessionStore
        let groups: any GroupStore
        if inMemory {
            database = nil
            let memorySocial = MemorySocialStore()
            (users, social, messages, sessions) = (
                MemoryUserStore(), memorySocial, MemoryMessageStore(social: memorySocial), MemorySessionStore()
            )
            groups = MemoryGroupStore()
        } else {
            let database = try SQLiteDatabase(path: directory + "/chat.sqlite", logger: logger)
            self.database = database
            (users, social, messages, sessions) = (
                SQLiteUserStore(database: database), SQLiteSocialStore(database: database),
                SQLiteMessageStore(database: database), SQLiteSessionStore(database: database)
            )
            groups = SQLiteGroupStore(database: database)
        }
        let status = InProcessStatusService(sessions: sessions, logger: logger)
        var configuration = ChatServer.Configuration(id: "chat-test", host: "127.0.0.1", port: 0)
        configuration.limits = limits
        let router = router ?? InProcessPushRouter(status: status)
        server = ChatServer(
            configuration: configuration,
            dependencies: ChatServer.Dependencies(
                users: users,
                social: social,
                messages: messages,
                groups: groups,
                status: status,
                router: router,
                limiter: InProcessRateLimiter()
            ),
            logger: logger
        )
        alice = try await users.createUser(username: "alice", email: "alice@example.com", passwordHash: "x", nowMs: 1)
            .id
        bob = try await users.createUser(username: "bob", email: "bob@example.com", passwordHash: "x", nowMs: 1).id
        try await social.makeFriends(alice, bob, nowMs: 1)
        server.attachToRouter()
        aliceToken = try await status.issueToken(for: alice).token
        bobToken = try await status.issueToken(for: bob).token
    }

    /// A connection with the server's handlers behind a `SocketProbe`, connected (active).
    func connect() async throws -> TestConnection {
        let channel = NIOAsyncTestingChannel()
        let probe = SocketProbe()
        try await channel.pipeline.addHandler(probe)
        try await channel.eventLoop.submit { [server] in try server.addConnectionHandlers(to: channel) }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7000))
        return TestConnection(channel: channel, probe: probe)
    }

    func remove() {
        try? database?.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `body` with a fixture, and removes it afterwards whatever happens.
    static func with<T>(
        limits: RateLimitPolicy = .unlimited,
        router: (any PushRouter)? = nil,
        inMemory: Bool = false,
        _ body: (ConnectionFixture) async throws -> T
    ) async throws -> T {
        let fixture = try await ConnectionFixture(limits: limits, router: router, inMemory: inMemory)
        defer { fixture.remove() }
        return try await body(fixture)
    }

    static func hello(token: String, requestID: UInt64 = 1) -> WireEnvelope {
        .hello(token: token, deviceID: "test-device", requestID: requestID)
    }

    static func message(to user: UserID, _ text: String, requestID: UInt64) -> WireEnvelope {
        var message = WireSendMessage()
        message.toUserID = user
        message.clientMsgID = "m-\(requestID)"
        message.text = text
        var envelope = WireEnvelope()
        envelope.requestID = requestID
        envelope.payload = .sendMessage(message)
        return envelope
    }

    static func request(_ payload: WireEnvelope.OneOf_Payload, requestID: UInt64) -> WireEnvelope {
        var envelope = WireEnvelope()
        envelope.requestID = requestID
        envelope.payload = payload
        return envelope
    }
}
