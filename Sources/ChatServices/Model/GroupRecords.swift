public typealias GroupID = Int64

/// A group chat: its name, announcement and owner. Its messages are a conversation of their own,
/// numbered by one per-group seq, and stored once however many members it has.
public struct GroupRecord: Sendable, Equatable {
    public var id: GroupID
    public var name: String
    public var announcement: String
    public var ownerID: UserID
    public var memberCount: Int
    public var createdAtMs: Int64

    public init(
        id: GroupID,
        name: String,
        announcement: String,
        ownerID: UserID,
        memberCount: Int,
        createdAtMs: Int64
    ) {
        self.id = id
        self.name = name
        self.announcement = announcement
        self.ownerID = ownerID
        self.memberCount = memberCount
        self.createdAtMs = createdAtMs
    }
}

/// One current member of a group.
public struct GroupMemberRecord: Sendable, Equatable {
    public var userID: UserID
    public var joinedAtMs: Int64

    public init(userID: UserID, joinedAtMs: Int64) {
        self.userID = userID
        self.joinedAtMs = joinedAtMs
    }
}

/// A group as one user sees it: the part of its history they may read (from `joinedSeq`, until
/// they left), and how far they have read it. What they must learn is derived from the group's
/// seq and this position; nothing is written per member when a message is sent.
public struct GroupConversationRecord: Sendable, Equatable {
    public var group: GroupRecord
    public var lastMessage: MessageRecord?
    /// The last seq this user may see: the group's, or where they left.
    public var lastSeq: UInt64
    public var readSeq: UInt64
    public var unread: UInt64
    /// An unread message mentions this user, or everyone.
    public var mentioned: Bool
    public var muted: Bool
    public var joinedSeq: UInt64
    /// False once they left or were removed (the history up to then stays theirs).
    public var isMember: Bool

    public init(
        group: GroupRecord,
        lastMessage: MessageRecord?,
        lastSeq: UInt64,
        readSeq: UInt64,
        unread: UInt64,
        mentioned: Bool,
        muted: Bool,
        joinedSeq: UInt64,
        isMember: Bool
    ) {
        self.group = group
        self.lastMessage = lastMessage
        self.lastSeq = lastSeq
        self.readSeq = readSeq
        self.unread = unread
        self.mentioned = mentioned
        self.muted = muted
        self.joinedSeq = joinedSeq
        self.isMember = isMember
    }
}

/// What a system line records about a group, for clients to render in their own words.
public struct GroupChange: Sendable, Equatable {
    public enum Kind: Int, Sendable, Equatable {
        case created = 1
        case invited = 2
        case left = 3
        case removed = 4
        case renamed = 5
        case announced = 6
        case ownerChanged = 7
    }

    public var kind: Kind
    /// Invited, removed, or the new owner.
    public var userIDs: [UserID]
    /// The new name or announcement.
    public var value: String

    public init(kind: Kind, userIDs: [UserID] = [], value: String = "") {
        self.kind = kind
        self.userIDs = userIDs
        self.value = value
    }
}

/// A change to a group as the store committed it: the system line it added to the history, and
/// the users whose update logs got a `groupChanged` entry (joined, left, removed), with its id.
public struct GroupChangeCommit: Sendable, Equatable {
    public var group: GroupRecord
    public var line: MessageRecord
    /// Lines the change made after `line` (an owner who leaves: the handover).
    public var followingLines: [MessageRecord] = []
    public var loggedFor: [UserID: UInt64]

    public init(group: GroupRecord, line: MessageRecord, loggedFor: [UserID: UInt64]) {
        self.group = group
        self.line = line
        self.loggedFor = loggedFor
    }
}

/// An edit only the owner may make.
public enum GroupEdit: Sendable, Equatable {
    case rename(String)
    case announce(String)
    case transfer(to: UserID)
}
