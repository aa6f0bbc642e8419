/// A message as committed: `seq` orders it within its conversation (a pair of users, or a group);
/// `id` is server-wide.
public struct MessageRecord: Sendable, Equatable {
    public var id: Int64
    public var clientMessageID: String
    public var senderID: UserID
    /// The other user of a one-to-one conversation; 0 in a group.
    public var recipientID: UserID
    public var seq: UInt64
    public var text: String
    public var sentAtMs: Int64
    /// The group it was sent in; 0 for one-to-one.
    public var groupID: GroupID = 0
    public var kind: MessageKind = .text
    /// The members it mentions, as the sender named them (structured, never parsed from text).
    public var mentions: [UserID] = []
    public var mentionsAll = false
    public var reply: ReplyReference?
    /// Withdrawn by its sender: `text` is empty.
    public var recalled = false
    /// A `.recall` line: the seq of the message withdrawn.
    public var recalledSeq: UInt64 = 0
    /// A `.system` line: what happened to the group.
    public var change: GroupChange?

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

    /// The conversation it belongs to, seen from `user` (one of its two sides, or a member).
    public func conversation(of user: UserID) -> ConversationRef {
        if groupID != 0 { return .group(groupID) }
        return .direct(senderID == user ? recipientID : senderID)
    }
}

public enum MessageKind: Int, Sendable, Equatable {
    case text = 0
    /// A line about the group, written by the server ("alice invited bob").
    case system = 1
    /// "alice recalled a message": the message at `recalledSeq` was withdrawn.
    case recall = 2
}

/// What a reply answers: a message of the same conversation, with a one-line excerpt taken when
/// the reply was sent (emptied when the original is recalled).
public struct ReplyReference: Sendable, Equatable {
    public var seq: UInt64
    public var senderID: UserID
    public var excerpt: String

    public init(seq: UInt64, senderID: UserID, excerpt: String) {
        self.seq = seq
        self.senderID = senderID
        self.excerpt = excerpt
    }
}

/// One conversation, named from one user's side.
public enum ConversationRef: Sendable, Hashable {
    case direct(UserID)
    case group(GroupID)
}

/// What the chat server hands to the store to commit.
public struct NewMessage: Sendable {
    public var senderID: UserID
    /// 0 for a group message.
    public var recipientID: UserID
    public var clientMessageID: String
    public var text: String
    public var sentAtMs: Int64
    /// A group the sender is in (then `recipientID` is 0); checked in the commit's transaction.
    public var groupID: GroupID = 0
    /// Checked in the commit: members of the group, at most `ProtocolLimits.maxMentions`.
    public var mentions: [UserID] = []
    /// @all: the group's owner only.
    public var mentionsAll = false
    /// A message of the same conversation the sender can see; 0 for none.
    public var replyToSeq: UInt64 = 0

    public init(senderID: UserID, recipientID: UserID, clientMessageID: String, text: String, sentAtMs: Int64) {
        self.senderID = senderID
        self.recipientID = recipientID
        self.clientMessageID = clientMessageID
        self.text = text
        self.sentAtMs = sentAtMs
    }
}

/// The outcome of a commit: the stored message, or (for a resend of a known client id) the
/// original with `duplicate` set. A message makes no update-log entry: devices follow each
/// conversation by its seq (`MessagePush`, `FetchHistory.after_seq`, the `Pong` sums).
public struct CommittedMessage: Sendable, Equatable {
    public var message: MessageRecord
    public var duplicate: Bool

    public init(message: MessageRecord, duplicate: Bool) {
        self.message = message
        self.duplicate = duplicate
    }
}

/// One entry of a user's update log.
public enum UpdateRecord: Sendable, Equatable {
    case message(updateID: UInt64, MessageRecord)
    case read(updateID: UInt64, peerID: UserID, seq: UInt64)
    /// This user has read a group up to `seq` (on some device).
    case groupRead(updateID: UInt64, groupID: GroupID, seq: UInt64)
    /// A read receipt: the peer has read this user's messages up to `seq`.
    case peerRead(updateID: UInt64, peerID: UserID, seq: UInt64)
    /// This user joined, left or was removed from the group: the device lists its groups again.
    case groupChanged(updateID: UInt64, groupID: GroupID)
    /// This user muted or unmuted a conversation (on some device).
    case muted(updateID: UInt64, ConversationRef, Bool)

    public var updateID: UInt64 {
        switch self {
        case .message(let id, _), .read(let id, _, _), .groupRead(let id, _, _), .peerRead(let id, _, _),
            .groupChanged(let id, _), .muted(let id, _, _):
            return id
        }
    }
}

public struct ConversationRecord: Sendable, Equatable {
    public var peerID: UserID
    public var lastMessage: MessageRecord?
    public var lastSeq: UInt64
    public var readSeq: UInt64
    public var muted = false
    /// How far the peer has read this user's messages; 0 unless both send read receipts.
    public var peerReadSeq: UInt64 = 0

    public init(peerID: UserID, lastMessage: MessageRecord?, lastSeq: UInt64, readSeq: UInt64) {
        self.peerID = peerID
        self.lastMessage = lastMessage
        self.lastSeq = lastSeq
        self.readSeq = readSeq
    }
    public var unread: UInt64 { lastSeq > readSeq ? lastSeq - readSeq : 0 }
}
