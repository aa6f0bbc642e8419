import ChatServices
import Foundation
import Logging
import SQLiteStores

/// A server database in a test's temporary directory, with the stores on it.
public struct TestDatabase: Sendable {
    public let database: SQLiteDatabase

    public init(in directory: TemporaryDirectory, file: String = "server.sqlite") throws {
        database = try SQLiteDatabase(path: directory.file(file), logger: .quiet)
    }

    public var path: String { database.path }
    public var users: SQLiteUserStore { SQLiteUserStore(database: database) }
    public var social: SQLiteSocialStore { SQLiteSocialStore(database: database) }
    public var sessions: SQLiteSessionStore { SQLiteSessionStore(database: database) }

    /// Creates `name` with the email `name@example.com` (lower-cased).
    @discardableResult
    public func makeUser(_ name: String, nowMs: Int64 = 1_000) async throws -> UserRecord {
        try await users.createUser(
            username: name,
            email: "\(name.lowercased())@example.com",
            passwordHash: "not-a-real-hash-\(name)",
            nowMs: nowMs
        )
    }

    /// Makes every two of `people` friends: messages pass only between friends.
    public func befriend(_ people: UserRecord...) async throws {
        for (index, one) in people.enumerated() {
            for other in people[(index + 1)...] {
                try await social.makeFriends(one.id, other.id, nowMs: 1_000)
            }
        }
    }
}
