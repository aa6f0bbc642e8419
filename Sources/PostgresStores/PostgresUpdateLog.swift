import ChatProtocol
import ChatServices
import Logging
import PostgresNIO

/// The entries of a user's update log besides messages, as SQLite's `updates` rows hold them.
///
/// Every writer takes the user's `users` row lock (`FOR NO KEY UPDATE`) before appending: the
/// log's ids are gapless from 1, and each new id is its last plus one, read in the appending
/// statement itself.
enum PostgresUpdateLog {
    /// `updates.kind`. A message and one's own read mark of a one-to-one chat are both 0 (told
    /// apart by `message_id`), as before the column existed.
    enum Kind: Int64 {
        case message = 0
        case groupRead = 1
        case peerRead = 2
        case groupChanged = 3
        case muted = 4
    }

    /// Appends one entry to `user`'s log; its id.
    static func append(
        _ kind: Kind,
        for user: UserID,
        peer: UserID? = nil,
        group: GroupID? = nil,
        seq: Int64? = nil,
        muted: Bool? = nil,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> UInt64 {
        // The casts type the NULLs a missing value binds (a SELECT list would take them as text).
        let rows = try await connection.query(
            """
            INSERT INTO updates(user_id, update_id, kind, read_peer_id, group_id, read_seq, muted)
            SELECT \(user), COALESCE(max(update_id), 0) + 1, \(kind.rawValue), \(peer)::bigint, \(group)::bigint,
                   \(seq)::bigint, \(muted)::boolean
            FROM updates WHERE user_id = \(user)
            RETURNING update_id
            """,
            logger: logger
        )
        for try await id in rows.decode(Int64.self) { return UInt64(id) }
        throw ChatError(.internalError, "An update was not logged.")
    }

    /// Logs `groupChanged` for each of `users` (distinct); each one's new id.
    static func appendGroupChanged(
        _ group: GroupID,
        for users: [UserID],
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [UserID: UInt64] {
        guard !users.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            INSERT INTO updates(user_id, update_id, kind, group_id)
            SELECT u.id, COALESCE((SELECT max(update_id) FROM updates WHERE user_id = u.id), 0) + 1,
                   \(Kind.groupChanged.rawValue), \(group)
            FROM unnest(\(users)::bigint[]) AS u(id)
            RETURNING user_id, update_id
            """,
            logger: logger
        )
        var logged: [UserID: UInt64] = [:]
        for try await (user, id) in rows.decode((Int64, Int64).self) { logged[user] = UInt64(id) }
        return logged
    }

    /// The entry of a row that selected `update_id`, `update_kind`, `read_peer_id`, `read_seq`,
    /// `update_group_id`, `update_muted` and `PostgresMessageRow.columns` (the message, outer
    /// joined); nil for a message row whose message is gone.
    static func update(_ row: PostgresRandomAccessRow) throws -> UpdateRecord? {
        let updateID = UInt64(try row["update_id"].decode(Int64.self))
        let peer = try row["read_peer_id"].decode(Int64?.self)
        let group = try row["update_group_id"].decode(Int64?.self)
        let seq = UInt64(try row["read_seq"].decode(Int64?.self) ?? 0)
        switch Kind(rawValue: try row["update_kind"].decode(Int64.self)) ?? .message {
        case .groupRead:
            return .groupRead(updateID: updateID, groupID: group ?? 0, seq: seq)
        case .peerRead:
            return .peerRead(updateID: updateID, peerID: peer ?? 0, seq: seq)
        case .groupChanged:
            return .groupChanged(updateID: updateID, groupID: group ?? 0)
        case .muted:
            let muted = try row["update_muted"].decode(Bool?.self) ?? false
            let conversation = group.map { ConversationRef.group($0) } ?? .direct(peer ?? 0)
            return .muted(updateID: updateID, conversation, muted)
        case .message:
            if let peer { return .read(updateID: updateID, peerID: peer, seq: seq) }
            return try PostgresMessageRow.message(row).map { UpdateRecord.message(updateID: updateID, $0) }
        }
    }
}
