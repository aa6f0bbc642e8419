import ArgumentParser
import ChatProtocol
import ClusterRPC
import Foundation
import Logging
import PostgresStores
import RedisClient
import ServerStack
import ServiceLifecycle
import Synchronization

/// What every role does around its own services: opens what it depends on (each failure a plain
/// sentence and exit 2, never a hang), runs its services until SIGTERM or SIGINT with the same
/// graceful shutdown as the embedded stack, and prints one readiness line once it listens.
struct RoleRunner {
    let role: String
    let logger: Logger

    /// Runs a start-up step; a failure ends the process with exit 2 and a sentence: `what`, and
    /// the error's own words unless `quiet` (when they only repeat it in jargon).
    func require<T>(_ what: String, quiet: Bool = false, _ step: () async throws -> T) async throws -> T {
        do {
            return try await step()
        } catch {
            let reason = Self.describe(error)
            fail(
                quiet
                    ? "cannot start: \(what)"
                    : what.isEmpty ? "cannot start: \(reason)" : "cannot start: \(what): \(reason)"
            )
        }
    }

    /// Reads the role's settings; a missing or malformed one ends the process with its sentence
    /// and exit 2, like a dependency that cannot be reached.
    func settings<T>(_ read: () throws -> T) -> T {
        do {
            return try read()
        } catch {
            fail("\(error)")
        }
    }

    func fail(_ sentence: String) -> Never {
        FileHandle.standardError.write(Data("wechat-server \(role): \(sentence)\n".utf8))
        Foundation.exit(2)
    }

    /// Redis, answering PING, within five seconds.
    func openRedis(_ endpoint: ServiceEndpoint) async throws -> RedisConnection {
        let redis = RedisConnection(host: endpoint.host, port: endpoint.port, logger: logger.named("redis"))
        try await require("Redis at \(endpoint) does not answer (is it running?)", quiet: true) {
            let deadline = ContinuousClock.now + .seconds(5)
            while true {
                do {
                    _ = try await redis.send(["PING"])
                    return
                } catch {
                    guard ContinuousClock.now < deadline else { throw error }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
        }
        return redis
    }

    func openPostgres(_ settings: PostgresSettings) async throws -> PostgresStoreDatabase {
        // Its error names the server and says what is wrong.
        try await require("") {
            try await PostgresStoreDatabase.open(
                host: settings.host,
                port: settings.port,
                username: settings.username,
                password: settings.password,
                database: settings.database,
                timeout: .seconds(10),
                logger: logger.named("postgres")
            )
        }
    }

    /// A connection to another role, checked healthy at start.
    func connect(to service: String, at endpoint: ServiceEndpoint) async throws -> RPCConnection {
        // A connection runs once: this one only checks, the role's service group runs the next.
        let probe = try RPCConnection(service: service, endpoint: endpoint, logger: logger.named(service))
        let probing = Task { try await probe.run() }
        defer {
            probe.close()
            probing.cancel()
        }
        do {
            try await probe.checkHealth()
        } catch {
            fail("cannot start: the \(service) service at \(endpoint) does not answer (is it running?)")
        }
        return try RPCConnection(service: service, endpoint: endpoint, logger: logger.named(service))
    }

    /// Runs `services` until a shutdown signal; `ready` is printed once `listening` returns.
    func run(_ services: [any Service], announcing ready: @escaping @Sendable () async -> String) async throws {
        let announce = Task {
            let line = await ready()
            print("wechat-server \(role) ready \(line)")
            fflush(nil)
        }
        defer { announce.cancel() }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        do {
            try await group.run()
            logger.notice("stopped cleanly")
        } catch {
            fail(Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? ChatError { return error.message }
        let text = "\(error)"
        if text.contains("Address already in use") || text.contains("EADDRINUSE") {
            return "its address is already in use: stop the other process or choose another --listen."
        }
        return text
    }
}

/// A port, once a server has bound it: set once, awaited by any number of tasks (the readiness
/// line, and a service that registers the port).
final class ReadyPort: Sendable {
    private struct State {
        var port: Int?
        var waiters: [CheckedContinuation<Int, Never>] = []
    }

    private let state = Mutex(State())

    func set(_ port: Int) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int, Never>] in
            guard state.port == nil else { return [] }
            state.port = port
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    func wait() async -> Int {
        await withCheckedContinuation { continuation in
            let port = state.withLock { state -> Int? in
                if let port = state.port { return port }
                state.waiters.append(continuation)
                return nil
            }
            if let port { continuation.resume(returning: port) }
        }
    }
}
