import ChatProtocol
import ChatServer
import ChatServices
import Dispatch
import Foundation
import Logging
import NIOCore
import Synchronization

/// What a chat server does with the bytes of one connection, minus the socket: split them into
/// frames, decode each envelope, and dispatch it as an authenticated user against a real SQLite
/// store. The fuzzer (`wechat-fuzz`, built with `-sanitize=fuzzer`) feeds it arbitrary bytes; the
/// corpus replay test feeds it the seeds. Any crash, hang or trap here is a bug in the server.
public final class ChatFuzzHarness: Sendable {
    /// One per process: libFuzzer calls the entry point millions of times.
    public static let shared: ChatFuzzHarness = {
        do { return try ChatFuzzHarness() } catch { fatalError("fuzz harness setup failed: \(error)") }
    }()

    private let handler: ChatRequestHandler
    private let status: StatusService
    /// The connection's user: alice, friends with bob, blocked by carol.
    public let me: UserID
    public let directory: String

    public init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("wechat-fuzz-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "fuzz")
        logger.logLevel = .critical
        let database = try SQLiteDatabase(path: directory + "/fuzz.sqlite", logger: logger)
        let users = SQLiteUserStore(database: database)
        let social = SQLiteSocialStore(database: database)
        let messages = SQLiteMessageStore(database: database)
        let status = InProcessStatusService(sessions: SQLiteSessionStore(database: database), logger: logger)
        self.status = status
        let dependencies = ChatServer.Dependencies(
            users: users,
            social: social,
            messages: messages,
            status: status,
            router: InProcessPushRouter(status: status),
            limiter: InProcessRateLimiter()
        )
        handler = ChatRequestHandler(dependencies: dependencies, limits: RateLimitPolicy(), logger: logger)
        me = try Self.blocking {
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
            try await social.makeFriends(alice.id, bob.id, nowMs: 1)
            try await social.setBlocked(blocker: carol.id, blocked: alice.id, true)
            return alice.id
        }
    }

    /// Runs `bytes` as a connection's input; returns how many requests were dispatched. Stops
    /// where the server would close the connection (an oversized or undecodable frame).
    @discardableResult
    public func run(_ bytes: UnsafeRawBufferPointer) -> Int {
        var buffer = ByteBuffer(bytes: bytes)
        var dispatched = 0
        while let frame = try? FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: ProtocolLimits.maxFrameBytes),
            let envelope = try? WireEnvelope.decode(frame: frame)
        {
            dispatch(envelope)
            dispatched += 1
        }
        return dispatched
    }

    private func dispatch(_ envelope: WireEnvelope) {
        let handler = handler
        let status = status
        let me = me
        try? Self.blocking {
            let reply: WireEnvelope
            switch envelope.payload {
            case .hello(let hello):
                // What the server does with a first frame: authenticate its token.
                _ = try? await status.authenticate(token: hello.token)
                return
            case let payload?:
                do {
                    reply = .reply(to: envelope.requestID, try await handler.handle(payload, from: me))
                } catch let error as ChatError {
                    reply = .error(error, requestID: envelope.requestID)
                } catch {
                    preconditionFailure("a request failed with something other than a ChatError: \(error)")
                }
            case nil:
                reply = .error(ChatError(.badRequest, "The frame carries no request."), requestID: envelope.requestID)
            }
            // Every answer must encode into a frame a client accepts.
            let frame = try! reply.framed()
            precondition(
                frame.readableBytes <= ProtocolLimits.maxServerFrameBytes + 4,
                "a reply of \(frame.readableBytes) bytes"
            )
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
