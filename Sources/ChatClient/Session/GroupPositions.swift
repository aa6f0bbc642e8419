/// Where this device stands in each group's history, and the rules for moving on. A group's
/// messages are not in the user's update log: the device keeps, per group, the seq up to which it
/// has every message it may see (its position), applies a pushed message only when it is the
/// next one, and fetches what comes after its position when a push skips ahead or the server's
/// listing (or a heartbeat's sum) says it is behind.
///
/// A value, so the rules are tested directly (`GroupPositionsTests`); `ChatSession` holds one and
/// moves it only after the cache has stored what it applied.
public struct GroupPositions: Sendable, Equatable {
    public private(set) var positions: [GroupID: UInt64]
    /// Groups being caught up, with the seq each must reach; and those asked meanwhile to go
    /// round again.
    private var catchingUp: [GroupID: UInt64] = [:]
    private var again: Set<GroupID> = []

    public init(_ positions: [GroupID: UInt64] = [:]) {
        self.positions = positions
    }

    public subscript(group: GroupID) -> UInt64 { positions[group] ?? 0 }

    /// What to do with a group's message that arrived on its own (a push, or an ack).
    public enum Decision: Equatable, Sendable {
        /// At or before the position: stored already.
        case seen
        /// The next one: store it and move on.
        case apply
        /// Past a gap: fetch what follows the position.
        case catchUp
    }

    public func decide(_ seq: UInt64, in group: GroupID) -> Decision {
        let position = self[group]
        if seq <= position { return .seen }
        return seq == position + 1 ? .apply : .catchUp
    }

    /// Everything up to `seq` is stored (never past what the cache can hold).
    public mutating func advance(_ group: GroupID, to seq: UInt64) {
        positions[group] = max(self[group], min(seq, UInt64(Int64.max)))
    }

    /// The sum of the positions of `groups`, to hold against the server's `Pong.group_seq_sum`.
    /// Wrapping, as a server is not trusted not to list seqs that overflow it; equal sums still
    /// mean equal positions in practice.
    public func sum(of groups: some Sequence<GroupID>) -> UInt64 {
        groups.reduce(0) { $0 &+ self[$1] }
    }

    /// Starts catching up `group` through `seq`; false if that is running already (it is asked
    /// to go round again, as far as `seq` too).
    public mutating func beginCatchUp(_ group: GroupID, through seq: UInt64) -> Bool {
        if let target = catchingUp[group] {
            catchingUp[group] = max(target, seq)
            again.insert(group)
            return false
        }
        catchingUp[group] = seq
        again.remove(group)
        return true
    }

    /// How far the running catch-up of `group` must go (0 when none runs).
    public func catchUpTarget(_ group: GroupID) -> UInt64 { catchingUp[group] ?? 0 }

    /// Ends a round of catching up: true if another was asked for meanwhile (then it goes on),
    /// false when it has ended.
    public mutating func endCatchUpRound(_ group: GroupID) -> Bool {
        if again.remove(group) != nil { return true }
        catchingUp[group] = nil
        return false
    }

    /// Ends catching up `group` whatever was asked (a request failed: the next listing retries).
    public mutating func abandonCatchUp(_ group: GroupID) {
        catchingUp[group] = nil
        again.remove(group)
    }
}
