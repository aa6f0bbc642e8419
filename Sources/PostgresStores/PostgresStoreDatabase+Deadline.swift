import ChatProtocol
import PostgresNIO
import Synchronization

/// Every store call has a deadline. While PostgreSQL is down, postgres-nio's pool keeps a query
/// waiting for a connection it keeps failing to open; without a deadline, a sign-in or a history
/// page would hang as long as the outage. With one, the caller hears `unavailable` (the gate
/// answers 503 with Retry-After, a client retries) and the error is logged once here.
extension PostgresStoreDatabase {
    /// Far above any query's normal time (milliseconds), far below a person's patience.
    static let operationDeadline: Duration = .seconds(5)

    /// Runs a query on a pooled connection within the deadline. The rows stream after it returns.
    func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await withinDeadline { try await self.client.query(query, logger: self.logger) }
    }

    /// Runs `body` in one transaction within the deadline. What it throws comes out as itself
    /// (a `ChatError` stays a `ChatError`), not wrapped in postgres-nio's transaction error.
    func withTransaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withinDeadline {
            do {
                return try await self.client.withTransaction(logger: self.logger) { connection in
                    try await body(connection)
                }
            } catch {
                throw Self.unwrapped(error)
            }
        }
    }

    /// postgres-nio wraps every error of a transaction in `PostgresTransactionError`; the one
    /// that says what happened (the closure's, or BEGIN's or COMMIT's) is inside.
    static func unwrapped(_ error: any Error) -> any Error {
        guard let wrapped = error as? PostgresTransactionError else { return error }
        return wrapped.closureError ?? wrapped.beginError ?? wrapped.commitError ?? wrapped.rollbackError ?? error
    }

    /// `body` within `operationDeadline`; a database that cannot be reached becomes `unavailable`.
    private func withinDeadline<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await Self.withDeadline(Self.operationDeadline, body)
        } catch let error where Self.isUnreachable(error) {
            logger.error("PostgreSQL unreachable", metadata: ["error": "\(Self.describe(error))"])
            throw ChatError(.unavailable, "The database is unavailable. Try again in a moment.", retryAfterSeconds: 2)
        }
    }

    /// `body`'s answer, or `DeadlineExceeded` once `deadline` has passed, whichever comes first.
    ///
    /// `body` runs in a task of its own, cancelled at the deadline but not waited for: a task
    /// group would wait for its cancelled child, and postgres-nio's query futures do not all
    /// heed cancellation (a server that vanished without closing its sockets would hold the
    /// caller until TCP gives up). The caller is answered either way; a write that still lands
    /// afterwards is found by the client's resend (messages are idempotent by client id).
    static func withDeadline<T: Sendable>(
        _ deadline: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let work = Task { try await body() }
        let answer = FirstAnswer()
        return try await withCheckedThrowingContinuation { continuation in
            let timer = Task {
                try? await Task.sleep(for: deadline)
                guard !Task.isCancelled, answer.claim() else { return }
                work.cancel()
                continuation.resume(throwing: DeadlineExceeded(deadline: deadline))
            }
            Task {
                let result = await work.result
                timer.cancel()
                if answer.claim() { continuation.resume(with: result) }
            }
        }
    }

    /// Whether `error` says PostgreSQL never answered (no connection, or the deadline passed),
    /// as opposed to an answer such as a constraint violation.
    static func isUnreachable(_ error: any Error) -> Bool {
        let error = unwrapped(error)
        if error is DeadlineExceeded { return true }
        if let error = error as? PSQLError { return error.serverInfo == nil }
        return false
    }

    /// Lets exactly one of two racing sides resume a continuation.
    private final class FirstAnswer: Sendable {
        private let answered = Mutex(false)

        /// True for the first caller only.
        func claim() -> Bool {
            answered.withLock { answered in
                defer { answered = true }
                return !answered
            }
        }
    }

    struct DeadlineExceeded: Error, CustomStringConvertible {
        let deadline: Duration
        var description: String { "no answer within \(deadline)" }
    }
}
