import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One PostgreSQL server for the whole test process, for the tests that need only an empty
/// database of their own, not a server (they do not crash or restart it): each gets a database
/// made for it on the shared server (`PostgresServer.freshDatabase`).
///
/// A server per test cost an `initdb` and a start each (a second or two of CPU); with forty such
/// tests running at once beside the rest of the suite, on two cores, servers were too slow to
/// answer within the stores' 10 s deadline. A database is made in milliseconds. The server is
/// stopped when the process exits.
enum SharedPostgresServer {
    private static let server = Mutex<Task<PostgresServer, Error>?>(nil)
    nonisolated(unsafe) private static var started: PostgresServer?

    static func get() async throws -> PostgresServer {
        let task = server.withLock { task in
            if let task { return task }
            let starting = Task {
                let started = try await PostgresServer.start()
                Self.started = started
                atexit { SharedPostgresServer.started?.stop() }
                return started
            }
            task = starting
            return starting
        }
        return try await task.value
    }
}

extension PostgresServer {
    /// The shared server and a new, empty database on it, named for this test alone.
    public static func freshDatabase() async throws -> (server: PostgresServer, database: String) {
        let server = try await SharedPostgresServer.get()
        let name = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try server.createDatabase(name)
        return (server, name)
    }
}
