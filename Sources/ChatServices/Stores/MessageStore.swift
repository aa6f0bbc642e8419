/// Messages, per-conversation sequence numbers, read marks and the per-user update log.
///
/// Messages are not in the update log: a device follows each conversation by its seq (the
/// conversation's `last_seq` in `conversations(of:)`, `history(afterSeq:)` to catch up, and
/// `directSeqSum(of:)` in every heartbeat to notice a push it missed). The log holds what is not
/// a message: read marks, read receipts, settings, group membership changes.
public protocol MessageStore: Sendable {
    /// Durably commits the message (or finds the original of a resend) before returning.
    /// Concurrent callers share transactions (group commit). Only between friends neither of whom
    /// has blocked the other (`notFriends`, `blocked`), checked in the same transaction as the write.
    func commit(_ message: NewMessage) async throws -> CommittedMessage
    /// Queues the message now, in call order, and returns at once; `completion` runs once it is
    /// durably committed. A connection uses this to keep reading while its messages commit,
    /// without losing their order.
    func commit(_ message: NewMessage, then completion: @escaping @Sendable (Result<CommittedMessage, Error>) -> Void)
    /// Newest first, `seq < beforeSeq` (0 = from the newest); or, when there is an `afterSeq`
    /// (0 included), oldest first from `afterSeq + 1` (how a device catches up on the
    /// conversation).
    func history(
        of user: UserID,
        with peer: UserID,
        beforeSeq: UInt64,
        afterSeq: UInt64?,
        limit: Int
    ) async throws -> [MessageRecord]
    /// The sum of the last seq of every one-to-one conversation of `user` (wrapping): a device
    /// whose own positions sum to something else missed a message.
    func directSeqSum(of user: UserID) async throws -> UInt64
    /// Oldest first, `updateID > after`.
    func updates(of user: UserID, after: UInt64, limit: Int) async throws -> [UpdateRecord]
    func latestUpdateID(of user: UserID) async throws -> UInt64
    /// Moves the read mark forward (never back). Returns the update it logged, or nil if it did not move.
    func markRead(user: UserID, peer: UserID, seq: UInt64) async throws -> UpdateRecord?
    /// One page of `user`'s conversations, by peer id: peers after `afterPeer`, at most `limit`.
    func conversations(of user: UserID, afterPeer: UserID, limit: Int) async throws -> [ConversationRecord]

    /// Deletes the oldest entries of every user's update log that holds more than `keepingLast`,
    /// at most `rowsPerStatement` in one statement, and returns how many went. The logs are found
    /// by one scan; the newest `keepingLast` of each stay (so its last id, which numbers the next
    /// entry, stays too). A device whose cursor is older than what is left gets a full resync
    /// (`SyncReply.horizon_update_id`).
    func compactUpdateLogs(keepingLast: Int, rowsPerStatement: Int) async throws -> Int

    /// Withdraws `user`'s own message at `seq` within `ProtocolLimits.recallWindowMs` of its
    /// commit: its text (and the excerpts of replies quoting it) are deleted, and a `.recall`
    /// line is committed after it in the same conversation, and travels as a message does.
    /// Refused: `noSuchMessage` (not there, or not visible to them), `notYourMessage`,
    /// `recallTooLate`; recalling a recalled message returns its line again with `duplicate` set.
    func recall(
        seq: UInt64,
        in conversation: ConversationRef,
        by user: UserID,
        nowMs: Int64
    ) async throws
        -> CommittedMessage
    /// Mutes or unmutes the conversation for `user` on every device; the update logged for them.
    func setMuted(_ muted: Bool, _ conversation: ConversationRef, user: UserID) async throws -> UpdateRecord
    /// A read receipt: logs `.peerRead` in `peer`'s update log, saying `reader` has read their
    /// conversation up to `seq` (reader's mark as `markRead` left it), when both send receipts.
    func logReadReceipt(reader: UserID, peer: UserID, seq: UInt64) async throws -> UpdateRecord?
}

extension MessageStore {
    /// Every conversation of `user`, the most recent first.
    public func conversations(of user: UserID) async throws -> [ConversationRecord] {
        try await conversations(of: user, afterPeer: 0, limit: Int(Int32.max))
            .sorted { ($0.lastMessage?.sentAtMs ?? 0) > ($1.lastMessage?.sentAtMs ?? 0) }
    }
}
