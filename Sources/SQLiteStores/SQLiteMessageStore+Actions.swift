import ChatProtocol
import ChatServices
import GRDB

/// Recall, mute and read receipts: rarer than messages, each in a write of its own.
extension SQLiteMessageStore {
    public func recall(
        seq: UInt64,
        in conversation: ConversationRef,
        by user: UserID,
        nowMs: Int64
    ) async throws -> CommittedMessage {
        try await database.pool.write { db in
            // A recall line is a line in the group: only a current member adds one.
            if case .group(let group) = conversation, !(try SQLiteGroupStore.isMember(user, of: group, in: db)) {
                throw GroupRules.notInGroup
            }
            let (pair, visible) = try Self.visibleRange(of: conversation, for: user, in: db)
            let noSuch = ChatError(.noSuchMessage, "There is no such message.")
            guard seq <= UInt64(Int64.max), visible.contains(Int64(seq)),
                let row = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM messages WHERE user_lo = ? AND user_hi = ? AND seq = ?",
                    arguments: [pair.lo, pair.hi, Int64(seq)]
                )
            else { throw noSuch }
            let original = Self.message(row)
            guard original.senderID == user else {
                throw ChatError(.notYourMessage, "You can only recall your own messages.")
            }
            guard original.kind == .text else { throw ChatError(.noSuchMessage, "That line cannot be recalled.") }
            if original.recalled, let line = try Self.recallLine(of: seq, in: pair, db) {
                return CommittedMessage(message: Self.message(line), duplicate: true)
            }
            guard nowMs - original.sentAtMs <= ProtocolLimits.recallWindowMs else {
                throw ChatError(.recallTooLate, "Messages can be recalled for two minutes after they are sent.")
            }
            // The text goes from the store, and from every quote of it.
            try db.execute(
                sql: "UPDATE messages SET text = '', recalled = 1, reply_excerpt = '' WHERE id = ?",
                arguments: [original.id]
            )
            try db.execute(
                sql: "UPDATE messages SET reply_excerpt = '' WHERE user_lo = ? AND user_hi = ? AND reply_to_seq = ?",
                arguments: [pair.lo, pair.hi, Int64(seq)]
            )
            var batch = MessageCommitBatch()
            let line = try batch.appendLine(
                to: pair,
                from: user,
                kind: .recall,
                clientID: "recall:\(pair.lo):\(pair.hi):\(seq)",
                nowMs: nowMs,
                recalledSeq: seq,
                in: db
            )
            try batch.finish(in: db)
            return CommittedMessage(message: line, duplicate: false)
        }
    }

    public func setMuted(_ muted: Bool, _ conversation: ConversationRef, user: UserID) async throws -> UpdateRecord {
        try await database.pool.write { db in
            switch conversation {
            case .direct(let peer):
                try db.execute(
                    sql: """
                        INSERT INTO read_marks(user_id, peer_id, read_seq, muted) VALUES (?, ?, 0, ?)
                        ON CONFLICT(user_id, peer_id) DO UPDATE SET muted = excluded.muted
                        """,
                    arguments: [user, peer, muted]
                )
                let id = try Self.logUpdate(.muted, for: user, peer: peer, muted: muted, in: db)
                return .muted(updateID: id, conversation, muted)
            case .group(let group):
                try db.execute(
                    sql: "UPDATE group_members SET muted = ? WHERE group_id = ? AND user_id = ?",
                    arguments: [muted, group, user]
                )
                guard db.changesCount > 0 else { throw ChatError(.notAMember, "You are not in that group.") }
                let id = try Self.logUpdate(.muted, for: user, group: group, muted: muted, in: db)
                return .muted(updateID: id, conversation, muted)
            }
        }
    }

    public func logReadReceipt(reader: UserID, peer: UserID, seq: UInt64) async throws -> UpdateRecord? {
        try await database.pool.write { db in
            let both =
                try Int.fetchOne(
                    db,
                    sql: "SELECT count(*) FROM users WHERE id IN (?, ?) AND sends_read_receipts",
                    arguments: [reader, peer]
                ) ?? 0
            guard both == 2, reader != peer else { return nil }
            // Not through a block, nor once they are no longer friends (it would tell of activity).
            let friendsUnblocked =
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS(SELECT 1 FROM friendships WHERE user_id = ?1 AND friend_id = ?2)
                           AND NOT EXISTS(SELECT 1 FROM blocks WHERE (blocker_id = ?1 AND blocked_id = ?2)
                                                                  OR (blocker_id = ?2 AND blocked_id = ?1))
                        """,
                    arguments: [reader, peer]
                ) ?? false
            guard friendsUnblocked else { return nil }
            let id = try Self.logUpdate(.peerRead, for: peer, peer: reader, seq: seq, in: db)
            return .peerRead(updateID: id, peerID: reader, seq: seq)
        }
    }

    /// The conversation's key and the seqs `user` may see in it: all of a pair's; a group's
    /// from when they last joined until they left (`notAMember` for a group they were never in).
    static func visibleRange(
        of conversation: ConversationRef,
        for user: UserID,
        in db: Database
    ) throws -> (MessageCommitBatch.Pair, ClosedRange<Int64>) {
        switch conversation {
        case .direct(let peer):
            guard peer > 0 else { throw ChatError(.noSuchMessage, "There is no such message.") }
            return (.users(user, peer), 1...Int64.max)
        case .group(let group):
            return (.group(group), try SQLiteGroupStore.visibleRange(of: group, for: user, in: db))
        }
    }

    private static func recallLine(of seq: UInt64, in pair: MessageCommitBatch.Pair, _ db: Database) throws -> Row? {
        try Row.fetchOne(
            db,
            sql: "SELECT * FROM messages WHERE user_lo = ? AND user_hi = ? AND kind = ? AND recalled_seq = ?",
            arguments: [pair.lo, pair.hi, MessageKind.recall.rawValue, Int64(seq)]
        )
    }
}
