import ChatServices
import Foundation
import Logging
import SQLiteStores

/// A server database with one group at the 500-member cap: its owner and 499 of the owner's
/// friends. The first 16 members send, as many senders as `CommitFixture`'s, so the group commit
/// benchmark differs from the one-to-one one only in where the messages go.
struct GroupCommitFixture: Sendable {
    static let members = 500
    static let senderCount = 16

    let messages: SQLiteMessageStore
    let group: GroupID
    let senders: [UserID]

    static func make() async throws -> GroupCommitFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wechat-bench-group-commit-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let database = try SQLiteDatabase(path: directory + "/bench.sqlite", logger: logger)
        let users = SQLiteUserStore(database: database)
        let social = SQLiteSocialStore(database: database)
        var ids: [UserID] = []
        for i in 0..<members {
            let user = try await users.createUser(
                username: "g\(i)x",
                email: "g\(i)@example.com",
                passwordHash: "x",
                nowMs: 1
            )
            if let owner = ids.first { try await social.makeFriends(owner, user.id, nowMs: 1) }
            ids.append(user.id)
        }
        let created = try await SQLiteGroupStore(database: database).createGroup(
            owner: ids[0],
            name: "bench",
            members: Array(ids.dropFirst()),
            nowMs: 1,
            line: { _ in "bench created the group" }
        )
        return GroupCommitFixture(
            messages: SQLiteMessageStore(database: database),
            group: created.group.id,
            senders: Array(ids.prefix(senderCount))
        )
    }
}
