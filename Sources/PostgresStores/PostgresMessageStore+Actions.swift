import ChatProtocol
import ChatServices
import PostgresNIO

/// Recall, mute and read receipts: rarer than messages, each in a transaction of its own, with
/// `SQLiteMessageStore`'s rules.
extension PostgresMessageStore {
    public func recall(
        seq: UInt64,
        in conversation: ConversationRef,
        by user: UserID,
        nowMs: Int64
    ) async throws -> CommittedMessage {
        let logger = database.logger
        return try await database.withTransaction { connection in
            let noSuch = ChatError(.noSuchMessage, "There is no such message.")
            let pair: PostgresMessageBatch.Pair
            let visible: ClosedRange<Int64>
            switch conversation {
            case .direct(let peer):
                guard peer > 0 else { throw noSuch }
                // The line numbers the conversation and grows both update logs: the same locks,
                // in the same order, as a message batch takes.
                try await connection.query(
                    """
                    SELECT id FROM users WHERE id IN (\(min(user, peer)), \(max(user, peer)))
                    ORDER BY id FOR NO KEY UPDATE
                    """,
                    logger: logger
                )
                pair = PostgresMessageBatch.Pair(user, peer)
                visible = 1...Int64.max
            case .group(let group):
                try await connection.query(
                    "SELECT id FROM groups WHERE id = \(group) FOR NO KEY UPDATE",
                    logger: logger
                )
                pair = .group(group)
                // A recall line is a line in the group: only a current member adds one.
                guard
                    try await PostgresGroupStore.memberIDs(
                        connection.query(PostgresGroupStore.memberIDsQuery(of: group), logger: logger)
                    ).contains(user)
                else { throw GroupRules.notInGroup }
                visible = try await PostgresGroupStore.visibleRange(
                    connection.query(PostgresGroupStore.visibleRangeQuery(of: group, for: user), logger: logger)
                )
            }
            guard seq <= UInt64(Int64.max), visible.contains(Int64(seq)) else { throw noSuch }
            var found: MessageRecord?
            for try await row in try await connection.query(
                """
                SELECT \(unescaped: PostgresMessageRow.columns) FROM messages m
                WHERE m.user_lo = \(pair.lo) AND m.user_hi = \(pair.hi) AND m.seq = \(Int64(seq))
                """,
                logger: logger
            ) {
                found = try PostgresMessageRow.message(row.makeRandomAccess())
            }
            guard let original = found else { throw noSuch }
            guard original.senderID == user else {
                throw ChatError(.notYourMessage, "You can only recall your own messages.")
            }
            guard original.kind == .text else { throw ChatError(.noSuchMessage, "That line cannot be recalled.") }
            let clientID = "recall:\(pair.lo):\(pair.hi):\(seq)"
            if original.recalled {
                // Its line, found by the sender's client id as a resend is.
                for try await row in try await connection.query(
                    """
                    SELECT \(unescaped: PostgresMessageRow.columns) FROM messages m
                    WHERE m.sender_id = \(user) AND m.client_msg_id = \(clientID)
                    """,
                    logger: logger
                ) {
                    if let line = try PostgresMessageRow.committed(row.makeRandomAccess(), duplicate: true) {
                        return line
                    }
                }
            }
            guard nowMs - original.sentAtMs <= ProtocolLimits.recallWindowMs else {
                throw ChatError(.recallTooLate, "Messages can be recalled for two minutes after they are sent.")
            }
            // The text goes from the store, and from every quote of it (replies come after it).
            try await connection.query(
                "UPDATE messages SET text = '', recalled = true, reply_excerpt = '' WHERE id = \(original.id)",
                logger: logger
            )
            try await connection.query(
                """
                UPDATE messages SET reply_excerpt = ''
                WHERE user_lo = \(pair.lo) AND user_hi = \(pair.hi) AND seq > \(Int64(seq))
                  AND reply_to_seq = \(Int64(seq))
                """,
                logger: logger
            )
            let line = try await PostgresMessageBatch(connection: connection, logger: logger).appendLine(
                to: pair,
                from: user,
                kind: .recall,
                clientID: { _ in clientID },
                nowMs: nowMs,
                recalledSeq: seq
            )
            return CommittedMessage(message: line, duplicate: false)
        }
    }

    public func setMuted(_ muted: Bool, _ conversation: ConversationRef, user: UserID) async throws -> UpdateRecord {
        let logger = database.logger
        return try await database.withTransaction { connection in
            // The user's update log grows under their row's lock.
            try await connection.query("SELECT id FROM users WHERE id = \(user) FOR NO KEY UPDATE", logger: logger)
            switch conversation {
            case .direct(let peer):
                try await connection.query(
                    """
                    INSERT INTO read_marks(user_id, peer_id, read_seq, muted) VALUES (\(user), \(peer), 0, \(muted))
                    ON CONFLICT (user_id, peer_id) DO UPDATE SET muted = excluded.muted
                    """,
                    logger: logger
                )
                let id = try await PostgresUpdateLog.append(
                    .muted,
                    for: user,
                    peer: peer,
                    muted: muted,
                    on: connection,
                    logger: logger
                )
                return .muted(updateID: id, conversation, muted)
            case .group(let group):
                let changed = try await connection.query(
                    """
                    UPDATE group_members SET muted = \(muted) WHERE group_id = \(group) AND user_id = \(user)
                    RETURNING user_id
                    """,
                    logger: logger
                ).hasAnyRow()
                guard changed else { throw ChatError(.notAMember, "You are not in that group.") }
                let id = try await PostgresUpdateLog.append(
                    .muted,
                    for: user,
                    group: group,
                    muted: muted,
                    on: connection,
                    logger: logger
                )
                return .muted(updateID: id, conversation, muted)
            }
        }
    }

    public func logReadReceipt(reader: UserID, peer: UserID, seq: UInt64) async throws -> UpdateRecord? {
        guard reader != peer else { return nil }
        let logger = database.logger
        return try await database.withTransaction { connection in
            // The peer's log grows under their row's lock; both rows are locked in id order (as
            // everywhere), so each one's choice is read as it stands at the write.
            var sending = 0
            for try await sends in try await connection.query(
                "SELECT sends_read_receipts FROM users WHERE id IN (\(reader), \(peer)) ORDER BY id FOR NO KEY UPDATE",
                logger: logger
            ).decode(Bool.self) where sends {
                sending += 1
            }
            guard sending == 2 else { return nil }
            // Not through a block, nor once they are no longer friends (it would tell of activity).
            var friendsUnblocked = false
            for try await ok in try await connection.query(
                """
                SELECT EXISTS(SELECT 1 FROM friendships WHERE user_id = \(reader) AND friend_id = \(peer))
                   AND NOT EXISTS(SELECT 1 FROM blocks WHERE (blocker_id = \(reader) AND blocked_id = \(peer))
                                                      OR (blocker_id = \(peer) AND blocked_id = \(reader)))
                """,
                logger: logger
            ).decode(Bool.self) {
                friendsUnblocked = ok
            }
            guard friendsUnblocked else { return nil }
            let id = try await PostgresUpdateLog.append(
                .peerRead,
                for: peer,
                peer: reader,
                seq: Int64(clamping: seq),
                on: connection,
                logger: logger
            )
            return .peerRead(updateID: id, peerID: reader, seq: seq)
        }
    }
}
