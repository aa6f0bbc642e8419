/// Friend requests, friendships (one row per direction, each with its own remark) and blocks.
public protocol SocialStore: Sendable {
    /// Creates or refreshes the request from `from` to `to`.
    func upsertRequest(_ request: FriendRequestRecord) async throws
    func request(from: UserID, to: UserID) async throws -> FriendRequestRecord?
    func deleteRequest(from: UserID, to: UserID) async throws -> Bool
    func incomingRequests(of user: UserID) async throws -> [FriendRequestRecord]
    func outgoingRequests(of user: UserID) async throws -> [FriendRequestRecord]

    /// Makes the two users friends and removes the requests between them, atomically.
    func makeFriends(_ a: UserID, _ b: UserID, nowMs: Int64) async throws
    /// Removes the friendship in both directions. Returns whether there was one.
    func removeFriendship(_ a: UserID, _ b: UserID) async throws -> Bool
    func areFriends(_ a: UserID, _ b: UserID) async throws -> Bool
    func friends(of user: UserID) async throws -> [FriendshipRecord]
    func friendIDs(of user: UserID) async throws -> [UserID]
    func setRemark(user: UserID, friend: UserID, remark: String) async throws -> Bool

    func setBlocked(blocker: UserID, blocked: UserID, _ isBlocked: Bool) async throws
    /// Whether either user has blocked the other.
    func isBlockedEitherWay(_ a: UserID, _ b: UserID) async throws -> Bool
    /// Whether `blocker` has blocked `blocked` (one way).
    func hasBlocked(_ blocker: UserID, _ blocked: UserID) async throws -> Bool
}
