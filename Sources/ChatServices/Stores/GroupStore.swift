/// Groups, their members, and each member's position in the group's history.
///
/// A group's messages live in the message store's table as a conversation of their own (committed
/// through `MessageStore.commit` with `NewMessage.groupID`), numbered by the group's seq. Every
/// change here checks who may make it in the same transaction as the write, commits its system
/// line ("alice invited bob") into that history, and logs `groupChanged` in the update log of
/// each user who joined or left, so their devices learn of it through the sync they already do.
/// Refusals are `ChatError`s: `notAMember`, `notGroupOwner`, `notFriends` (inviting a stranger),
/// `blocked`, `limitReached` (past `ProtocolLimits.maxGroupMembers`), `notFound`.
public protocol GroupStore: Sendable {
    /// A group owned by `owner` with `members` (each a friend of the owner who has not blocked
    /// them and whom they have not blocked). `text` writes the system line from the change.
    func createGroup(
        owner: UserID,
        name: String,
        members: [UserID],
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit
    /// Friends of `inviter` (a member) join; members already in are left as they are.
    func invite(
        _ users: [UserID],
        to group: GroupID,
        by inviter: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit
    /// `user` leaves (`by` == `user`) or the owner `by` removes them. An owner who leaves hands
    /// the group to the longest-standing member; the last member leaving ends it.
    func remove(
        _ user: UserID,
        from group: GroupID,
        by: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit
    func edit(
        _ group: GroupID,
        _ edit: GroupEdit,
        by: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit

    /// The group, for a current member (`notAMember` otherwise, also for one who left).
    func group(_ id: GroupID, for user: UserID) async throws -> GroupRecord
    func members(of group: GroupID) async throws -> [GroupMemberRecord]
    /// The current members' ids (whom typing is pushed to).
    func memberIDs(of group: GroupID) async throws -> [UserID]
    /// The current members who may see the message at `seq` (joined at or before it): whom it
    /// is pushed to. Read when the push goes out, which may be after someone joined later.
    func memberIDs(of group: GroupID, seeing seq: UInt64) async throws -> [UserID]
    /// Every group the user is or was in, with their position.
    func groups(of user: UserID) async throws -> [GroupConversationRecord]
    /// The sum of the last seq the user may see in each of their groups (a device compares it
    /// with its own to find a missed push).
    func groupSeqSum(of user: UserID) async throws -> UInt64
    /// The part of the history the user may see: newest first below `beforeSeq` (0 = from the
    /// newest), or oldest first above `afterSeq` when there is one (0 included).
    func history(
        of group: GroupID,
        for user: UserID,
        beforeSeq: UInt64,
        afterSeq: UInt64?,
        limit: Int
    ) async throws -> [MessageRecord]
    /// Moves the user's read position forward (never back, never past what they may see); the
    /// update it logged for their other devices, or nil if it did not move.
    func markRead(user: UserID, group: GroupID, seq: UInt64) async throws -> UpdateRecord?
    /// How many members but the sender have read up to the message at `seq`, of how many could;
    /// asked by its sender, a current member (`notYourMessage`, `notAMember` otherwise). Members
    /// who keep read receipts off count as not having read it.
    func readCount(of group: GroupID, seq: UInt64, asker: UserID) async throws -> (read: Int, members: Int)
}
