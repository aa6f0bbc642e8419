import ChatProtocol

public typealias UserID = Int64

/// Someone the client knows by id and name.
public struct UserSummary: Sendable, Hashable, Codable {
    public var id: UserID
    public var username: String
    public var email: String?

    public init(id: UserID, username: String, email: String? = nil) {
        self.id = id
        self.username = username
        self.email = email
    }

    init(_ wire: WireUser) {
        self.init(id: wire.id, username: wire.username, email: wire.email.isEmpty ? nil : wire.email)
    }
}

public struct Friend: Sendable, Hashable {
    public var user: UserSummary
    public var remark: String
    public var online: Bool
    public var blockedByMe: Bool
    public var sinceMs: Int64

    /// The remark if there is one, as WeChat shows it, else the username.
    public var displayName: String { remark.isEmpty ? user.username : remark }

    public init(
        user: UserSummary,
        remark: String = "",
        online: Bool = false,
        blockedByMe: Bool = false,
        sinceMs: Int64 = 0
    ) {
        self.user = user
        self.remark = remark
        self.online = online
        self.blockedByMe = blockedByMe
        self.sinceMs = sinceMs
    }
}

public struct FriendRequest: Sendable, Hashable {
    public var from: UserSummary
    public var to: UserSummary
    public var message: String
    public var createdAtMs: Int64

    public init(from: UserSummary, to: UserSummary, message: String, createdAtMs: Int64) {
        self.from = from
        self.to = to
        self.message = message
        self.createdAtMs = createdAtMs
    }
}

public struct ChatMessage: Sendable, Hashable {
    public var id: Int64
    public var clientMessageID: String
    public var senderID: UserID
    /// 0 in a group.
    public var recipientID: UserID
    public var seq: UInt64
    /// Empty once recalled.
    public var text: String
    public var sentAtMs: Int64
    /// The group it was sent in; 0 for one-to-one.
    public var groupID: GroupID = 0
    public var kind: WireChatMessage.Kind = .text
    /// Members it mentions (structured, as sent): highlight when it holds me, or `mentionsAll`.
    public var mentions: [UserID] = []
    public var mentionsAll = false
    public var reply: ReplyQuote?
    /// Withdrawn by its sender: shown as "alice recalled a message".
    public var recalled = false
    /// A `.recall` line: the seq it withdrew.
    public var recalledSeq: UInt64 = 0
    /// A `.system` line: what happened to the group.
    public var change: GroupChangeNote?

    public init(
        id: Int64,
        clientMessageID: String,
        senderID: UserID,
        recipientID: UserID,
        seq: UInt64,
        text: String,
        sentAtMs: Int64
    ) {
        self.id = id
        self.clientMessageID = clientMessageID
        self.senderID = senderID
        self.recipientID = recipientID
        self.seq = seq
        self.text = text
        self.sentAtMs = sentAtMs
    }

    init(_ wire: WireChatMessage) {
        self.init(
            id: wire.id,
            clientMessageID: wire.clientMsgID,
            senderID: wire.senderID,
            recipientID: wire.recipientID,
            seq: wire.seq,
            text: wire.text,
            sentAtMs: wire.sentAtMs
        )
        groupID = wire.groupID
        kind = wire.kind
        mentions = wire.mentions
        mentionsAll = wire.mentionsAll
        if wire.replyToSeq != 0 {
            reply = ReplyQuote(seq: wire.replyToSeq, senderID: wire.replyToSenderID, excerpt: wire.replyExcerpt)
        }
        recalled = wire.recalled
        recalledSeq = wire.recalledSeq
        if wire.hasGroupChange {
            change = GroupChangeNote(
                kind: wire.groupChange.kind,
                userIDs: wire.groupChange.userIds,
                value: wire.groupChange.value
            )
        }
    }

    /// The other side of the conversation, seen from `me` (for a group message, see `conversation`).
    public func peer(of me: UserID) -> UserID { senderID == me ? recipientID : senderID }

    /// The conversation it belongs to, seen from `me`.
    public func conversation(of me: UserID) -> ConversationKey {
        groupID != 0 ? .group(groupID) : .direct(peer(of: me))
    }

    /// Whether it names `user`, or everyone.
    public func mentions(_ user: UserID) -> Bool { mentionsAll || mentions.contains(user) }

    /// The conversation it is kept under, seen from `me`; nil for a message no conversation can
    /// hold. A server is not trusted: a seq beyond what SQLite stores would trap in the
    /// conversion, negating a negative group id (Int64.min) would trap, and a one-to-one message
    /// needs another side with a user's (positive) id, or it would land in a group's key.
    func storageKey(of me: UserID) -> ConversationKey? {
        guard seq <= UInt64(Int64.max), recalledSeq <= UInt64(Int64.max), groupID >= 0 else { return nil }
        if groupID > 0 { return .group(groupID) }
        let peer = self.peer(of: me)
        return peer > 0 ? .direct(peer) : nil
    }
}

/// A message typed but not yet acknowledged by the server. It lives in the cache's outbox until
/// the ack arrives, so a crash or a network cut loses nothing.
public struct OutboxMessage: Sendable, Hashable {
    public var clientMessageID: String
    /// The conversation, as `ConversationKey.rawValue`: the friend's id, or the group's negated
    /// (the key the cache's outbox has always kept, so a queued one-to-one message stays valid).
    public var peerID: Int64
    public var text: String
    public var createdAtMs: Int64
    /// Group members it names (sent structured: recipients do not parse the text).
    public var mentions: [UserID]
    public var mentionsAll: Bool
    /// The message of the same conversation it answers; 0 for none.
    public var replyToSeq: UInt64

    public var conversation: ConversationKey { ConversationKey(rawValue: peerID) }

    public init(
        clientMessageID: String,
        peerID: Int64,
        text: String,
        createdAtMs: Int64,
        mentions: [UserID] = [],
        mentionsAll: Bool = false,
        replyToSeq: UInt64 = 0
    ) {
        self.clientMessageID = clientMessageID
        self.peerID = peerID
        self.text = text
        self.createdAtMs = createdAtMs
        self.mentions = mentions
        self.mentionsAll = mentionsAll
        self.replyToSeq = replyToSeq
    }
}

public struct Conversation: Sendable, Hashable {
    public var peerID: UserID
    public var lastMessage: ChatMessage?
    public var lastSeq: UInt64
    public var readSeq: UInt64
    /// No bell, no notification, the unread count dimmed (kept on the server for every device).
    public var muted = false
    /// How far the friend has read my messages (✓✓); 0 while either keeps read receipts off.
    public var peerReadSeq: UInt64 = 0

    public var unread: UInt64 { lastSeq > readSeq ? lastSeq - readSeq : 0 }

    public init(peerID: UserID, lastMessage: ChatMessage? = nil, lastSeq: UInt64 = 0, readSeq: UInt64 = 0) {
        self.peerID = peerID
        self.lastMessage = lastMessage
        self.lastSeq = lastSeq
        self.readSeq = readSeq
    }
}
