/// A message its sender recalled: the one at `seq` of `conversation`.
public struct MessageWithdrawal: Sendable, Hashable {
    public var conversation: ConversationKey
    public var seq: UInt64

    public init(conversation: ConversationKey, seq: UInt64) {
        self.conversation = conversation
        self.seq = seq
    }
}
