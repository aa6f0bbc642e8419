/// Friend requests, friendships (one row per direction, each with its own remark) and blocks.
public protocol SocialStore: Sendable {
    /// Creates or refreshes the request from `from` to `to`.
    func upsertRequest(_ request: FriendRequestRecord) async throws
    /// Sends a request, in one transaction with the check for one the other way: when the
    /// recipient already asked the sender, the two become friends instead. Two people asking each
    /// other at the same instant therefore end as friends, never as two crossing requests.
    func sendRequest(_ request: FriendRequestRecord) async throws -> FriendRequestOutcome
    func request(from: UserID, to: UserID) async throws -> FriendRequestRecord?
    func deleteRequest(from: UserID, to: UserID) async throws -> Bool
    /// The newest `limit` pending requests to `user`, leaving out those from people `user`
    /// blocked (kept from them; their senders are not told).
    func incomingRequests(of user: UserID, limit: Int) async throws -> [FriendRequestRecord]
    /// How many requests `incomingRequests` would list without a limit.
    func incomingRequestCount(of user: UserID) async throws -> Int
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

extension SocialStore {
    /// Every pending request to `user` that `incomingRequests(of:limit:)` shows.
    public func incomingRequests(of user: UserID) async throws -> [FriendRequestRecord] {
        try await incomingRequests(of: user, limit: Int(Int32.max))
    }
}
