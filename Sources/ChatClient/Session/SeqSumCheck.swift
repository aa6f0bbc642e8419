/// What a heartbeat's seq sum calls for, for one kind of conversation (groups, or friends'):
/// a listing when this device's positions disagree with the server's sum, once per
/// disagreement, so a server that never agrees costs one listing, not one a heartbeat. When to
/// call it a disagreement is the caller's rule (`ChatSession.listGroupsIfBehind`,
/// `listConversationsIfBehind`).
struct SeqSumCheck: Sendable {
    /// The disagreement last acted on.
    private var last: (mine: UInt64, server: UInt64)?

    /// Whether to list again: the sums disagree, and not as they did when last acted on.
    mutating func shouldList(mine: UInt64, server: UInt64, disagrees: Bool) -> Bool {
        guard disagrees else {
            last = nil
            return false
        }
        if let last, last.mine == mine, last.server == server { return false }
        last = (mine, server)
        return true
    }
}
