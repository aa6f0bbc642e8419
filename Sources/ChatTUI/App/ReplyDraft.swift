import ChatClient

/// The message the next one sent answers (`r` on a selected message), shown above the input
/// until it is sent or Esc drops it.
public struct ReplyDraft: Sendable, Equatable {
    /// Where it was chosen: a reply never follows the person into another conversation, where
    /// its seq would name some other message.
    public var conversation: ConversationKey
    public var seq: UInt64
    public var senderID: UserID
    /// The original's first line, as the quote will show it.
    public var excerpt: String

    public init(conversation: ConversationKey, seq: UInt64, senderID: UserID, excerpt: String) {
        self.conversation = conversation
        self.seq = seq
        self.senderID = senderID
        self.excerpt = excerpt
    }
}
