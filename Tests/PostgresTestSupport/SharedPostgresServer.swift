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
                sweepOrphans()
                let started = try await PostgresServer.start()
                // Whose it is: a run killed before its exit handler (a timeout, a closed pipe)
                // leaves it running, and the next run stops it (`sweepOrphans`).
                try? String(getpid()).write(toFile: started.directory + "/owner.pid", atomically: true, encoding: .utf8)
                Self.started = started
                atexit { SharedPostgresServer.started?.stop() }
                return started
            }
            task = starting
            return starting
        }
        return try await task.value
    }

    /// Stops the shared servers of test processes that are gone (the ones with an `owner.pid`
    /// naming a dead process), and removes their directories: only servers these tests started.
    static func sweepOrphans() {
        let temporary = FileManager.default.temporaryDirectory.path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? []
        for name in names where name.hasPrefix("pg-test-") {
            let directory = temporary + "/" + name
            guard let owner = try? String(contentsOfFile: directory + "/owner.pid", encoding: .utf8),
                let ownerPID = pid_t(owner.trimmingCharacters(in: .whitespacesAndNewlines)),
                kill(ownerPID, 0) != 0, errno == ESRCH
            else { continue }
            if let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
                let first = text.split(separator: "\n").first, let postmaster = pid_t(first)
            {
                kill(postmaster, SIGKILL)
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
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
