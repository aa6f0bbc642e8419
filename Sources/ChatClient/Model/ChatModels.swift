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
    public var recipientID: UserID
    public var seq: UInt64
    public var text: String
    public var sentAtMs: Int64

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
    }

    /// The other side of the conversation, seen from `me`.
    public func peer(of me: UserID) -> UserID { senderID == me ? recipientID : senderID }
}

/// A message typed but not yet acknowledged by the server. It lives in the cache's outbox until
/// the ack arrives, so a crash or a network cut loses nothing.
public struct OutboxMessage: Sendable, Hashable {
    public var clientMessageID: String
    public var peerID: UserID
    public var text: String
    public var createdAtMs: Int64

    public init(clientMessageID: String, peerID: UserID, text: String, createdAtMs: Int64) {
        self.clientMessageID = clientMessageID
        self.peerID = peerID
        self.text = text
        self.createdAtMs = createdAtMs
    }
}

public struct Conversation: Sendable, Hashable {
    public var peerID: UserID
    public var lastMessage: ChatMessage?
    public var lastSeq: UInt64
    public var readSeq: UInt64

    public var unread: UInt64 { lastSeq > readSeq ? lastSeq - readSeq : 0 }

    public init(peerID: UserID, lastMessage: ChatMessage? = nil, lastSeq: UInt64 = 0, readSeq: UInt64 = 0) {
        self.peerID = peerID
        self.lastMessage = lastMessage
        self.lastSeq = lastSeq
        self.readSeq = readSeq
    }
}
