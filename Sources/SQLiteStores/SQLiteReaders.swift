import ChatServices
import Foundation
import GRDB
import Synchronization

/// Read-only connections to the server database for the stores' short reads, each lent to one
/// caller at a time and run on the caller's thread.
///
/// GRDB's `DatabasePool` already has readers, but taking one goes through a barrier queue, a
/// semaphore, a lock and a key path built at run time, and every read first asks SQLite for the
/// schema version: for the point lookups a sign-in makes, that cost more than the lookups
/// (README → Performance). Here a reader is a `DatabaseQueue` taken from a list under a lock.
/// Lending never waits: with every reader lent, another is opened. As many are lent at once as
/// threads read at once; at most `maxIdle` are kept between reads, the rest closed.
///
/// GRDB's schema cache is not refreshed before a read here (the pool's readers do that): the
/// stores' statements are plain SQL, and the schema only changes in migrations, which run before
/// the first reader opens.
final class SQLiteReaders: Sendable {
    private struct State {
        var idle: [DatabaseQueue] = []
        var closed = false
    }

    private enum Lending {
        case closed
        case idle(DatabaseQueue)
        case new
    }

    private let path: String
    private let maxIdle: Int
    private let state = Mutex(State())

    /// `maxIdle`: by default as many as twice the cores, and at least 8 (a reader is lent to
    /// each thread that reads, so more are seldom in use at once).
    init(path: String, maxIdle: Int = max(8, 2 * ProcessInfo.processInfo.activeProcessorCount)) {
        self.path = path
        self.maxIdle = maxIdle
    }

    /// Runs `body` with a reader of its own; nil, having run nothing, once `close` has run.
    func withReader<T>(_ body: (DatabaseQueue) throws -> T) throws -> T? {
        let lending = state.withLock { state -> Lending in
            if state.closed { return .closed }
            return state.idle.popLast().map(Lending.idle) ?? .new
        }
        let reader: DatabaseQueue
        switch lending {
        case .closed: return nil
        case .idle(let idle): reader = idle
        case .new: reader = try Self.open(path)
        }
        defer {
            let kept = state.withLock { state in
                guard !state.closed, state.idle.count < maxIdle else { return false }
                state.idle.append(reader)
                return true
            }
            if !kept { try? reader.close() }
        }
        return try body(reader)
    }

    /// Closes the idle readers and lends no more, so the pool's connections can be the last to
    /// close (SQLite then checkpoints and removes the WAL). A reader lent at the time closes
    /// when its read ends. Throws the first failure, having tried every reader.
    func close() throws {
        let idle = state.withLock { state in
            state.closed = true
            defer { state.idle = [] }
            return state.idle
        }
        var failure: Error?
        for reader in idle {
            do { try reader.close() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
    }

    /// Lends readers again (the database stayed open after all).
    func reopen() {
        state.withLock { $0.closed = false }
    }

    private static func open(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration)
    }
}
