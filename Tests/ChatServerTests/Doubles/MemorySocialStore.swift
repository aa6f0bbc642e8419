import ChatServices
import Synchronization

/// `SocialStore` in sets and dictionaries.
final class MemorySocialStore: SocialStore {
    private struct State {
        var requests: [String: FriendRequestRecord] = [:]
        /// One entry per direction, as the SQLite store keeps them.
        var friendships: [String: FriendshipRecord] = [:]
        var blocks: Set<String> = []
    }

    private let state = Mutex(State())

    private static func key(_ a: UserID, _ b: UserID) -> String { "\(a)>\(b)" }

    func upsertRequest(_ request: FriendRequestRecord) async throws {
        state.withLock { $0.requests[Self.key(request.fromID, request.toID)] = request }
    }

    func request(from: UserID, to: UserID) async throws -> FriendRequestRecord? {
        state.withLock { $0.requests[Self.key(from, to)] }
    }

    func deleteRequest(from: UserID, to: UserID) async throws -> Bool {
        state.withLock { $0.requests.removeValue(forKey: Self.key(from, to)) != nil }
    }

    func sendRequest(_ request: FriendRequestRecord) async throws -> FriendRequestOutcome {
        if isFriend(request.fromID, request.toID) { return .alreadyFriends }
        let askedFirst = state.withLock { $0.requests[Self.key(request.toID, request.fromID)] != nil }
        if askedFirst {
            try await makeFriends(request.fromID, request.toID, nowMs: request.createdAtMs)
            return .befriended
        }
        try await upsertRequest(request)
        return .requested
    }

    func incomingRequests(of user: UserID, limit: Int) async throws -> [FriendRequestRecord] {
        state.withLock { state in
            Array(
                state.requests.values
                    .filter { $0.toID == user && !state.blocks.contains(Self.key(user, $0.fromID)) }
                    .sorted { $0.createdAtMs > $1.createdAtMs }
                    .prefix(limit)
            )
        }
    }

    func incomingRequestCount(of user: UserID) async throws -> Int {
        try await incomingRequests(of: user, limit: .max).count
    }

    func outgoingRequests(of user: UserID) async throws -> [FriendRequestRecord] {
        state.withLock { $0.requests.values.filter { $0.fromID == user } }
    }

    func makeFriends(_ a: UserID, _ b: UserID, nowMs: Int64) async throws {
        state.withLock { state in
            state.friendships[Self.key(a, b)] = FriendshipRecord(
                friendID: b,
                remark: "",
                sinceMs: nowMs,
                blockedByMe: false
            )
            state.friendships[Self.key(b, a)] = FriendshipRecord(
                friendID: a,
                remark: "",
                sinceMs: nowMs,
                blockedByMe: false
            )
            state.requests.removeValue(forKey: Self.key(a, b))
            state.requests.removeValue(forKey: Self.key(b, a))
        }
    }

    func removeFriendship(_ a: UserID, _ b: UserID) async throws -> Bool {
        state.withLock { state in
            state.friendships.removeValue(forKey: Self.key(b, a))
            return state.friendships.removeValue(forKey: Self.key(a, b)) != nil
        }
    }

    func areFriends(_ a: UserID, _ b: UserID) async throws -> Bool { isFriend(a, b) }

    func friends(of user: UserID) async throws -> [FriendshipRecord] {
        state.withLock { state in
            state.friendships.filter { $0.key.hasPrefix("\(user)>") }.values.map { friendship in
                var friendship = friendship
                friendship.blockedByMe = state.blocks.contains(Self.key(user, friendship.friendID))
                friendship.blocksMe = state.blocks.contains(Self.key(friendship.friendID, user))
                return friendship
            }
        }
    }

    func friendIDs(of user: UserID) async throws -> [UserID] { try await friends(of: user).map(\.friendID) }

    func setRemark(user: UserID, friend: UserID, remark: String) async throws -> Bool {
        state.withLock { state in
            guard state.friendships[Self.key(user, friend)] != nil else { return false }
            state.friendships[Self.key(user, friend)]?.remark = remark
            return true
        }
    }

    func setBlocked(blocker: UserID, blocked: UserID, _ isBlocked: Bool) async throws {
        state.withLock { state in
            if isBlocked {
                state.blocks.insert(Self.key(blocker, blocked))
            } else {
                state.blocks.remove(Self.key(blocker, blocked))
            }
        }
    }

    func isBlockedEitherWay(_ a: UserID, _ b: UserID) async throws -> Bool { isBlocked(a, b) }

    func hasBlocked(_ blocker: UserID, _ blocked: UserID) async throws -> Bool {
        state.withLock { $0.blocks.contains(Self.key(blocker, blocked)) }
    }

    /// For the message store's commit, which checks in the same step as it writes.
    func isFriend(_ a: UserID, _ b: UserID) -> Bool {
        state.withLock { $0.friendships[Self.key(a, b)] != nil }
    }

    func isBlocked(_ a: UserID, _ b: UserID) -> Bool {
        state.withLock { $0.blocks.contains(Self.key(a, b)) || $0.blocks.contains(Self.key(b, a)) }
    }
}
