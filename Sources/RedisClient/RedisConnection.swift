import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A Redis client on one TCP connection, shared by every caller: commands from concurrent tasks
/// are pipelined on it (Redis answers in order), so a busy caller costs no round trip per command.
///
/// Hand-written, and small on purpose: no Swift Redis client is in this project's package mirror,
/// and the services need only a few commands (strings with expiry, hashes, sets, counters and
/// Lua scripts). It keeps one connection, opens it on first use and again after it breaks (a
/// Redis restart costs the calls made while it is down, not the client), and gives every command
/// a deadline: a Redis that does not answer in time has its connection closed, and the callers
/// get `RedisError.unavailable`, never a hang.
public final class RedisConnection: Sendable {
    public let host: String
    public let port: Int
    /// How long a command (or connecting) may take.
    public let timeout: TimeAmount
    private let group: any EventLoopGroup
    private let logger: Logger
    private let state = Mutex(State.idle)

    private enum State {
        case idle
        case connecting(EventLoopFuture<Channel>)
        case connected(Channel)
    }

    public init(
        host: String,
        port: Int,
        timeout: TimeAmount = .seconds(2),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.host = host
        self.port = port
        self.timeout = timeout
        self.group = group
        self.logger = logger
    }

    public var address: String { "\(host):\(port)" }

    /// Sends one command (`["SET", "key", "value", "PX", "60000"]`) and returns its reply. An
    /// error reply throws `RedisError.reply`; a connection that cannot be made or breaks throws
    /// `RedisError.unavailable`.
    @discardableResult
    public func send(_ arguments: [String]) async throws -> RESPValue {
        try await pipeline([arguments])[0]
    }

    /// Sends the commands back to back, with one flush, and returns their replies in order. An
    /// error reply to any of them throws.
    public func pipeline(_ commands: [[String]]) async throws -> [RESPValue] {
        let channel = try await connectedChannel()
        let eventLoop = channel.eventLoop
        var futures: [EventLoopFuture<RESPValue>] = []
        for arguments in commands {
            var bytes = channel.allocator.buffer(capacity: 64)
            bytes.writeRedisCommand(arguments)
            let reply = eventLoop.makePromise(of: RESPValue.self)
            futures.append(reply.futureResult)
            channel.write(RedisCommand(bytes: bytes, reply: reply), promise: nil)
        }
        channel.flush()
        let deadline = eventLoop.scheduleTask(in: timeout) { [address, logger] in
            // Replies are matched by order: one that never comes blocks every later one, so the
            // connection goes, and its callers are told.
            logger.warning("Redis did not answer in time; closing the connection", metadata: ["redis": "\(address)"])
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        var replies: [RESPValue] = []
        for future in futures {
            let reply = try await future.get()
            if case .error(let message) = reply { throw RedisError.reply(message) }
            replies.append(reply)
        }
        return replies
    }

    /// Closes the connection; a later command opens a new one.
    public func close() async {
        let current = state.withLock { state -> EventLoopFuture<Channel>? in
            defer { state = .idle }
            switch state {
            case .idle: return nil
            case .connecting(let future): return future
            case .connected(let channel): return channel.eventLoop.makeSucceededFuture(channel)
            }
        }
        if let channel = try? await current?.get() { try? await channel.close() }
    }

    /// The open connection, or a new one (after a failure, each call tries afresh).
    private func connectedChannel() async throws -> Channel {
        let future = state.withLock { state -> EventLoopFuture<Channel> in
            switch state {
            case .connected(let channel) where channel.isActive:
                return channel.eventLoop.makeSucceededFuture(channel)
            case .connecting(let future):
                return future
            default:
                let future = connect()
                state = .connecting(future)
                return future
            }
        }
        do {
            let channel = try await future.get()
            state.withLock { state in
                if case .connecting(let current) = state, current === future { state = .connected(channel) }
            }
            guard channel.isActive else {
                throw RedisError.unavailable("The connection to Redis at \(address) closed.")
            }
            return channel
        } catch {
            state.withLock { state in
                if case .connecting(let current) = state, current === future { state = .idle }
            }
            if let error = error as? RedisError { throw error }
            logger.info("Redis unreachable", metadata: ["redis": "\(address)", "error": "\(error)"])
            throw RedisError.unavailable("Redis at \(address) is unreachable (\(error)).")
        }
    }

    private func connect() -> EventLoopFuture<Channel> {
        let address = address
        return ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RedisCommandHandler(address: address))
                }
            }
            .connect(host: host, port: port)
    }
}
