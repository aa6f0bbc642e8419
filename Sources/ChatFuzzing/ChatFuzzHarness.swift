import ChatProtocol
import ChatServer
import ChatServices
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import SQLiteStores
import Synchronization

/// A chat server's handling of one connection's bytes, minus the socket: the server's own
/// channel pipeline (`ChatServer.addConnectionHandlers`: idle timer, framing, the connection's
/// state machine, pipelining, draining) on a `NIOAsyncTestingChannel`, in front of real SQLite
/// stores. Each input is what a signed-in client sends after a valid Hello; the harness then
/// shuts the connection down as a server restart would and checks what came back. The fuzzer
/// (`wechat-fuzz`, built with `-sanitize=fuzzer`) feeds it arbitrary bytes; the corpus replay
/// test feeds it the seeds. Any crash, hang, trap, unreadable reply or leaked session is a bug.
public final class ChatFuzzHarness: Sendable {
    /// One per process: libFuzzer calls the entry point millions of times.
    public static let shared: ChatFuzzHarness = {
        do { return try ChatFuzzHarness() } catch { fatalError("fuzz harness setup failed: \(error)") }
    }()

    private let server: ChatServer
    private let database: SQLiteDatabase
    /// The connection's user, alice: friends with bob, blocked by carol.
    public let me: UserID
    private let token: String
    public let directory: String

    public init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("wechat-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        let database = try SQLiteDatabase(path: directory + "/fuzz.sqlite", logger: logger)
        self.database = database
        let users = SQLiteUserStore(database: database)
        let social = SQLiteSocialStore(database: database)
        let groups = SQLiteGroupStore(database: database)
        let status = InProcessStatusService(sessions: SQLiteSessionStore(database: database), logger: logger)
        server = ChatServer(
            configuration: ChatServer.Configuration(id: "fuzz", host: "127.0.0.1", port: 0),
            dependencies: ChatServer.Dependencies(
                users: users,
                social: social,
                messages: SQLiteMessageStore(database: database),
                groups: groups,
                status: status,
                router: InProcessPushRouter(status: status),
                limiter: InProcessRateLimiter()
            ),
            logger: logger
        )
        (me, token) = try Self.blocking {
            let alice = try await users.createUser(
                username: "alice",
                email: "alice@example.com",
                passwordHash: "x",
                nowMs: 1
            )
            let bob = try await users.createUser(username: "bob", email: "bob@example.com", passwordHash: "x", nowMs: 1)
            let carol = try await users.createUser(
                username: "carol",
                email: "carol@example.com",
                passwordHash: "x",
                nowMs: 1
            )
            let dave = try await users.createUser(
                username: "dave",
                email: "dave@example.com",
                passwordHash: "x",
                nowMs: 1
            )
            try await social.makeFriends(alice.id, bob.id, nowMs: 1)
            try await social.makeFriends(alice.id, dave.id, nowMs: 1)
            try await social.setBlocked(blocker: carol.id, blocked: alice.id, true)
            // Group 1, owned by alice, with bob and dave: the group seeds talk in it.
            _ = try await groups.createGroup(owner: alice.id, name: "fuzz", members: [bob.id, dave.id], nowMs: 1) {
                _ in "alice created the group"
            }
            return (alice.id, try await status.issueToken(for: alice.id).token)
        }
    }

    /// Removes the harness's database (the fuzzer's process never does: it is killed).
    public func remove() {
        try? database.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs `bytes` as what a signed-in connection sends, in two reads, then shuts it down;
    /// returns how many requests were answered.
    @discardableResult
    public func run(_ bytes: UnsafeRawBufferPointer) -> Int {
        let input = Array(bytes)
        let server = server
        let token = token
        return try! Self.blocking { try await Self.serve(input, token: token, on: server) }
    }

    private static func serve(_ input: [UInt8], token: String, on server: ChatServer) async throws -> Int {
        let channel = NIOAsyncTestingChannel()
        try await channel.eventLoop.submit { try server.addConnectionHandlers(to: channel) }.get()
        try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7000))
        try await channel.writeInbound(try WireEnvelope.hello(token: token, deviceID: "fuzz").framed())
        var replies = Replies()
        let deadline = ContinuousClock.now + .seconds(20)
        // The Hello's answer first, so the input is served as a session's frames.
        while try await !replies.collect(from: channel) || !replies.sawHelloOk {
            precondition(ContinuousClock.now < deadline, "no HelloOk")
            try await Task.sleep(for: .microseconds(200))
        }
        // Two reads, split mid-input: frames cut across reads must reassemble.
        let middle = input.count / 2
        for part in [input[..<middle], input[middle...]] where !part.isEmpty && channel.isActive {
            _ = try? await channel.writeInbound(ByteBuffer(bytes: part))
        }
        channel.triggerUserOutboundEvent(ChatServer.connectionShutDown, promise: nil)
        while channel.isActive {
            precondition(ContinuousClock.now < deadline, "the connection did not close after a shutdown")
            if try await !replies.collect(from: channel) { try await Task.sleep(for: .microseconds(200)) }
        }
        _ = try await replies.collect(from: channel)
        while server.connectionCount > 0 {
            precondition(ContinuousClock.now < deadline, "a closed connection's session did not end")
            try await Task.sleep(for: .milliseconds(1))
        }
        return replies.answered
    }

    /// What the server wrote, checked as a client reads it.
    private struct Replies {
        var received = ByteBuffer()
        var sawHelloOk = false
        var answered = 0

        /// Reads what has been written and checks each frame; false if nothing had been.
        mutating func collect(from channel: NIOAsyncTestingChannel) async throws -> Bool {
            var got = false
            while var bytes = try await channel.readOutbound(as: ByteBuffer.self) {
                received.writeBuffer(&bytes)
                got = true
            }
            guard got else { return false }
            // Every answer must be a frame a client accepts.
            while let frame = try FrameDecoder.nextFrame(
                from: &received,
                maxFrameBytes: ProtocolLimits.maxServerFrameBytes
            ) {
                let envelope = try WireEnvelope.decode(frame: frame)
                if case .helloOk = envelope.payload {
                    sawHelloOk = true
                } else if envelope.requestID != 0 {
                    answered += 1
                }
            }
            return true
        }
    }

    /// Runs async work to completion from synchronous code (the fuzzer's entry point is synchronous).
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox<T>()
        Task {
            let outcome: Result<T, Error>
            do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
            result.value.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return try result.value.withLock { $0! }.get()
    }
}

/// Carries a result out of the task `blocking` waits for.
private final class ResultBox<T: Sendable>: Sendable {
    let value = Mutex<Result<T, Error>?>(nil)
}
