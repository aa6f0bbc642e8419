/// A message as committed: `seq` orders it within its conversation; `id` is server-wide.
public struct MessageRecord: Sendable, Equatable {
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
}

/// What the chat server hands to the store to commit.
public struct NewMessage: Sendable {
    public var senderID: UserID
    public var recipientID: UserID
    public var clientMessageID: String
    public var text: String
    public var sentAtMs: Int64

    public init(senderID: UserID, recipientID: UserID, clientMessageID: String, text: String, sentAtMs: Int64) {
        self.senderID = senderID
        self.recipientID = recipientID
        self.clientMessageID = clientMessageID
        self.text = text
        self.sentAtMs = sentAtMs
    }
}

/// The outcome of a commit: the stored message, the update-log entries it made for sender and
/// recipient, or (for a resend of a known client id) the original with `duplicate` set.
public struct CommittedMessage: Sendable, Equatable {
    public var message: MessageRecord
    public var senderUpdateID: UInt64
    public var recipientUpdateID: UInt64
    public var duplicate: Bool

    public init(message: MessageRecord, senderUpdateID: UInt64, recipientUpdateID: UInt64, duplicate: Bool) {
        self.message = message
        self.senderUpdateID = senderUpdateID
        self.recipientUpdateID = recipientUpdateID
        self.duplicate = duplicate
    }
}

/// One entry of a user's update log.
public enum UpdateRecord: Sendable, Equatable {
    case message(updateID: UInt64, MessageRecord)
    case read(updateID: UInt64, peerID: UserID, seq: UInt64)

    public var updateID: UInt64 {
        switch self {
        case .message(let id, _), .read(let id, _, _): return id
        }
    }
}

public struct ConversationRecord: Sendable, Equatable {
    public var peerID: UserID
    public var lastMessage: MessageRecord?
    public var lastSeq: UInt64
    public var readSeq: UInt64

    public init(peerID: UserID, lastMessage: MessageRecord?, lastSeq: UInt64, readSeq: UInt64) {
        self.peerID = peerID
        self.lastMessage = lastMessage
        self.lastSeq = lastSeq
        self.readSeq = readSeq
    }
    public var unread: UInt64 { lastSeq > readSeq ? lastSeq - readSeq : 0 }
}
