import ChatProtocol
import ChatServices

/// A `GroupStore` with no groups: the memory-store test runs the one-to-one path, which asks
/// only for a user's groups (none). Groups themselves are tested on SQLite and PostgreSQL.
struct MemoryGroupStore: GroupStore {
    private static let none = ChatError(.notAMember, "You are not in that group.")

    func createGroup(
        owner: UserID,
        name: String,
        members: [UserID],
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit { throw ChatError(.unavailable, "The in-memory double has no groups.") }

    func invite(
        _ users: [UserID],
        to group: GroupID,
        by inviter: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit { throw Self.none }

    func remove(
        _ user: UserID,
        from group: GroupID,
        by: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit { throw Self.none }

    func edit(
        _ group: GroupID,
        _ edit: GroupEdit,
        by: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit { throw Self.none }

    func group(_ id: GroupID, for user: UserID) async throws -> GroupRecord { throw Self.none }
    func members(of group: GroupID) async throws -> [GroupMemberRecord] { [] }
    func memberIDs(of group: GroupID) async throws -> [UserID] { [] }
    func memberIDs(of group: GroupID, seeing seq: UInt64) async throws -> [UserID] { [] }
    func groups(of user: UserID) async throws -> [GroupConversationRecord] { [] }
    func groupSeqSum(of user: UserID) async throws -> UInt64 { 0 }
    func history(
        of group: GroupID,
        for user: UserID,
        beforeSeq: UInt64,
        afterSeq: UInt64?,
        limit: Int
    ) async throws
        -> [MessageRecord]
    { throw Self.none }
    func markRead(user: UserID, group: GroupID, seq: UInt64) async throws -> UpdateRecord? { throw Self.none }
    func readCount(of group: GroupID, seq: UInt64, asker: UserID) async throws -> (read: Int, members: Int) {
        throw Self.none
    }
}
