import ChatProtocol

/// A group chat's name, announcement and owner, as the server last said.
public struct GroupSummary: Sendable, Hashable {
    public var id: GroupID
    public var name: String
    public var announcement: String
    public var ownerID: UserID
    public var memberCount: Int

    public init(id: GroupID, name: String, announcement: String = "", ownerID: UserID, memberCount: Int) {
        self.id = id
        self.name = name
        self.announcement = announcement
        self.ownerID = ownerID
        self.memberCount = memberCount
    }
}

/// A group as this user sees it: how far they have read, and whether they are still in it.
public struct GroupConversation: Sendable, Hashable {
    public var group: GroupSummary
    public var lastMessage: ChatMessage?
    public var lastSeq: UInt64
    public var readSeq: UInt64
    /// Others' messages after `readSeq`, as the server counted them (kept up to date locally).
    public var unread: UInt64
    /// An unread message mentions me (or @all): shown as an "@" badge, and rings even when muted.
    public var mentioned: Bool
    public var muted: Bool
    /// The first seq I may see (the line that added me).
    public var joinedSeq: UInt64
    /// False once I left or was removed: the history stays, sending does not.
    public var isMember: Bool

    public init(
        group: GroupSummary,
        lastMessage: ChatMessage? = nil,
        lastSeq: UInt64 = 0,
        readSeq: UInt64 = 0,
        unread: UInt64 = 0,
        mentioned: Bool = false,
        muted: Bool = false,
        joinedSeq: UInt64 = 0,
        isMember: Bool = true
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

/// One member of a group, for the member pane.
public struct GroupMember: Sendable, Hashable {
    public var user: UserSummary
    public var online: Bool
    public var joinedAtMs: Int64

    public init(user: UserSummary, online: Bool, joinedAtMs: Int64) {
        self.user = user
        self.online = online
        self.joinedAtMs = joinedAtMs
    }
}

/// What a message answers: the seq of the original in the same conversation, its sender, and a
/// one-line excerpt (empty once the original is recalled).
public struct ReplyQuote: Sendable, Hashable {
    public var seq: UInt64
    public var senderID: UserID
    public var excerpt: String

    public init(seq: UInt64, senderID: UserID, excerpt: String) {
        self.seq = seq
        self.senderID = senderID
        self.excerpt = excerpt
    }
}

/// What a group's system line records ("alice invited bob"); the line's text is the server's
/// rendering, kept for clients that do not know a newer kind.
public struct GroupChangeNote: Sendable, Hashable {
    public var kind: WireGroupChange.Kind
    public var userIDs: [UserID]
    public var value: String

    public init(kind: WireGroupChange.Kind, userIDs: [UserID], value: String) {
        self.kind = kind
        self.userIDs = userIDs
        self.value = value
    }
}
