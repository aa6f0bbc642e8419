import ChatProtocol
import PostgresNIO

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

    /// Runs `body` in one transaction within the deadline.
    func withTransaction<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await withinDeadline {
            try await self.client.withTransaction(logger: self.logger) { connection in try await body(connection) }
        }
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

    /// `body`, or `DeadlineExceeded` once `deadline` has passed (and `body` is cancelled).
    static func withDeadline<T: Sendable>(
        _ deadline: Duration,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: deadline)
                throw DeadlineExceeded(deadline: deadline)
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// Whether `error` says PostgreSQL never answered (no connection, or the deadline passed),
    /// as opposed to an answer such as a constraint violation.
    static func isUnreachable(_ error: any Error) -> Bool {
        if error is DeadlineExceeded { return true }
        if let error = error as? PSQLError { return error.serverInfo == nil }
        return false
    }

    struct DeadlineExceeded: Error, CustomStringConvertible {
        let deadline: Duration
        var description: String { "no answer within \(deadline)" }
    }
}
