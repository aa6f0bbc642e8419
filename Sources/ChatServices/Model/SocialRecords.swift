public struct FriendRequestRecord: Sendable, Equatable {
    public var fromID: UserID
    public var toID: UserID
    public var message: String
    public var createdAtMs: Int64

    public init(fromID: UserID, toID: UserID, message: String, createdAtMs: Int64) {
        self.fromID = fromID
        self.toID = toID
        self.message = message
        self.createdAtMs = createdAtMs
    }
}

public struct FriendshipRecord: Sendable, Equatable {
    public var friendID: UserID
    public var remark: String
    public var sinceMs: Int64
    /// I have blocked this friend: their messages to me are refused.
    public var blockedByMe: Bool
    /// This friend has blocked me: they are shown to me as offline, whatever they are.
    public var blocksMe: Bool

    public init(friendID: UserID, remark: String, sinceMs: Int64, blockedByMe: Bool, blocksMe: Bool = false) {
        self.friendID = friendID
        self.remark = remark
        self.sinceMs = sinceMs
        self.blockedByMe = blockedByMe
        self.blocksMe = blocksMe
    }
}

/// What sending a friend request did (`SocialStore.sendRequest`).
public enum FriendRequestOutcome: Sendable, Equatable {
    /// The request is pending (new, or refreshed).
    case requested
    /// The other person had asked first: asking back said yes, and the two are friends.
    case befriended
    /// They were friends already (another device's request got there first): nothing changed.
    case alreadyFriends
}
