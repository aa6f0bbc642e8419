/// Where this device stands in each conversation's history (a friend's or a group's), and the
/// rules for moving on. Messages are not in the user's update log (since protocol 3): the device
/// keeps, per conversation, the seq up to which it has every message it may see (its position),
/// applies a pushed or acknowledged message only when it is the next one, and fetches what comes
/// after its position when a push skips ahead or the server's listing (or a heartbeat's sum)
/// says it is behind.
///
/// A value, so the rules are tested directly (`ConversationPositionsTests`); `ChatSession` holds
/// one and moves it only after the cache has stored what it applied.
public struct ConversationPositions: Sendable, Equatable {
    public private(set) var positions: [ConversationKey: UInt64]
    /// Conversations being caught up, with the seq each must reach; and those asked meanwhile to
    /// go round again.
    private var catchingUp: [ConversationKey: UInt64] = [:]
    private var again: Set<ConversationKey> = []

    public init(_ positions: [ConversationKey: UInt64] = [:]) {
        self.positions = positions
    }

    public subscript(conversation: ConversationKey) -> UInt64 { positions[conversation] ?? 0 }

    /// What to do with a conversation's message that arrived on its own (a push, or an ack).
    public enum Decision: Equatable, Sendable {
        /// At or before the position: stored already.
        case seen
        /// The next one: store it and move on.
        case apply
        /// Past a gap: fetch what follows the position.
        case catchUp
    }

    public func decide(_ seq: UInt64, in conversation: ConversationKey) -> Decision {
        let position = self[conversation]
        if seq <= position { return .seen }
        return seq == position + 1 ? .apply : .catchUp
    }

    /// Everything up to `seq` is stored (never past what the cache can hold).
    public mutating func advance(_ conversation: ConversationKey, to seq: UInt64) {
        positions[conversation] = max(self[conversation], min(seq, UInt64(Int64.max)))
    }

    /// The sum of the positions of `conversations`, to hold against the server's
    /// `Pong.direct_seq_sum` (friends) or `Pong.group_seq_sum` (groups). Wrapping, as a server is
    /// not trusted not to list seqs that overflow it; equal sums still mean equal positions in
    /// practice.
    public func sum(of conversations: some Sequence<ConversationKey>) -> UInt64 {
        conversations.reduce(0) { $0 &+ self[$1] }
    }

    /// Starts catching up `conversation` through `seq`; false if that is running already (it is
    /// asked to go round again, as far as `seq` too).
    public mutating func beginCatchUp(_ conversation: ConversationKey, through seq: UInt64) -> Bool {
        if let target = catchingUp[conversation] {
            catchingUp[conversation] = max(target, seq)
            again.insert(conversation)
            return false
        }
        catchingUp[conversation] = seq
        again.remove(conversation)
        return true
    }

    /// How far the running catch-up of `conversation` must go (0 when none runs).
    public func catchUpTarget(_ conversation: ConversationKey) -> UInt64 { catchingUp[conversation] ?? 0 }

    /// Ends a round of catching up: true if another was asked for meanwhile (then it goes on),
    /// false when it has ended.
    public mutating func endCatchUpRound(_ conversation: ConversationKey) -> Bool {
        if again.remove(conversation) != nil { return true }
        catchingUp[conversation] = nil
        return false
    }

    /// Ends catching up `conversation` whatever was asked (a request failed: the next listing
    /// retries).
    public mutating func abandonCatchUp(_ conversation: ConversationKey) {
        catchingUp[conversation] = nil
        again.remove(conversation)
    }
}
