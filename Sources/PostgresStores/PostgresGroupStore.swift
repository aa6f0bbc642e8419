import ChatProtocol
import ChatServices
import Logging
import PostgresNIO

/// `GroupStore` on PostgreSQL, with `SQLiteGroupStore`'s rules.
///
/// Each change is one transaction that first locks the users whose update logs it writes (their
/// `users` rows, in id order), then the group's row: the order a message batch takes them in, so
/// the two never wait on each other in a circle. A group's members, owner, count and seq change
/// only under its row's lock, and what is checked is read after taking it (READ COMMITTED reads
/// each statement afresh): two invitations at once cannot pass `ProtocolLimits.maxGroupMembers`
/// together, nor a message slip in from someone just removed.
public struct PostgresGroupStore: GroupStore {
    let database: PostgresStoreDatabase

    public init(database: PostgresStoreDatabase) {
        self.database = database
    }

    private var logger: Logger { database.logger }

    public func createGroup(
        owner: UserID,
        name: String,
        members: [UserID],
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit {
        let invited = try GroupRules.founders(owner: owner, members: members)
        let logger = self.logger
        return try await database.withTransaction { connection in
            let everyone = [owner] + invited
            try await Self.lockUsers(everyone, on: connection, logger)
            try await Self.checkRoomInGroups(for: [owner], on: connection, logger)
            try await Self.checkInvitable(invited, by: owner, on: connection, logger)
            var created: GroupID?
            for try await id in try await connection.query(
                """
                INSERT INTO groups(name, owner_id, member_count, created_at_ms)
                VALUES (\(name), \(owner), \(Int64(everyone.count)), \(nowMs)) RETURNING id
                """,
                logger: logger
            ).decode(Int64.self) {
                created = id
            }
            // Nobody else knows the new group's id before this commits: its row needs no lock.
            guard let group = created else { throw ChatError(.internalError, "The new group was not stored.") }
            let change = GroupChange(kind: .created, userIDs: invited, value: name)
            let record = try await PostgresMessageBatch(connection: connection, logger: logger).appendLine(
                to: .group(group),
                from: owner,
                kind: .system,
                clientID: { _ in "group:\(group):created" },
                text: line(change),
                nowMs: nowMs,
                change: change
            )
            try await Self.join(everyone, group: group, atSeq: Int64(record.seq), nowMs: nowMs, on: connection, logger)
            let logged = try await PostgresUpdateLog.appendGroupChanged(
                group,
                for: everyone,
                on: connection,
                logger: logger
            )
            return GroupChangeCommit(
                group: try await Self.group(group, on: connection, logger),
                line: record,
                loggedFor: logged
            )
        }
    }

    public func invite(
        _ users: [UserID],
        to group: GroupID,
        by inviter: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit {
        let invited = try GroupRules.invitees(users, by: inviter)
        let logger = self.logger
        return try await database.withTransaction { connection in
            try await Self.lockUsers([inviter] + invited, on: connection, logger)
            let current = try await Self.lockCurrentGroup(group, member: inviter, on: connection, logger)
            var members: Set<UserID> = []
            for try await user in try await connection.query(
                """
                SELECT user_id FROM group_members
                WHERE group_id = \(group) AND left_seq IS NULL AND user_id = ANY(\(invited))
                """,
                logger: logger
            ).decode(Int64.self) {
                members.insert(user)
            }
            let joining = invited.filter { !members.contains($0) }
            guard !joining.isEmpty else { throw ChatError(.badRequest, "They are all in the group already.") }
            try await Self.checkInvitable(joining, by: inviter, on: connection, logger)
            guard current.memberCount + joining.count <= ProtocolLimits.maxGroupMembers else { throw GroupRules.full }
            let record = try await Self.appendSystemLine(
                GroupChange(kind: .invited, userIDs: joining),
                to: group,
                by: inviter,
                nowMs: nowMs,
                line: line,
                on: connection,
                logger
            )
            try await Self.join(joining, group: group, atSeq: Int64(record.seq), nowMs: nowMs, on: connection, logger)
            let logged = try await PostgresUpdateLog.appendGroupChanged(
                group,
                for: joining,
                on: connection,
                logger: logger
            )
            try await Self.recount(group, on: connection, logger)
            return GroupChangeCommit(
                group: try await Self.group(group, on: connection, logger),
                line: record,
                loggedFor: logged
            )
        }
    }

    public func remove(
        _ user: UserID,
        from group: GroupID,
        by: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit {
        let logger = self.logger
        return try await database.withTransaction { connection in
            try await Self.lockUsers([user], on: connection, logger)
            let current = try await Self.lockCurrentGroup(group, member: by, on: connection, logger)
            if user != by {
                guard current.ownerID == by else {
                    throw ChatError(.notGroupOwner, "Only the group's owner can remove members.")
                }
                guard try await Self.isMember(user, of: group, on: connection, logger) else {
                    throw ChatError(.notAMember, "They are not in the group.")
                }
            }
            // The line first, so the one leaving sees it: their history ends with it.
            let record = try await Self.appendSystemLine(
                GroupChange(kind: user == by ? .left : .removed, userIDs: [user]),
                to: group,
                by: by,
                nowMs: nowMs,
                line: line,
                on: connection,
                logger
            )
            try await connection.query(
                """
                UPDATE group_members SET left_seq = \(Int64(record.seq)) WHERE group_id = \(group) AND user_id = \(user)
                """,
                logger: logger
            )
            try await connection.query(
                "DELETE FROM group_mentions WHERE user_id = \(user) AND group_id = \(group)",
                logger: logger
            )
            try await Self.recount(group, on: connection, logger)
            var following: [MessageRecord] = []
            if current.ownerID == user,
                let heir = try await Self.memberIDs(connection.query(Self.memberIDsQuery(of: group), logger: logger))
                    .first
            {
                // An owner who leaves hands the group to the longest-standing member, with a line
                // that tells everyone (devices learn the owner from such lines).
                try await connection.query(
                    "UPDATE groups SET owner_id = \(heir) WHERE id = \(group)",
                    logger: logger
                )
                following.append(
                    try await Self.appendSystemLine(
                        GroupChange(kind: .ownerChanged, userIDs: [heir]),
                        to: group,
                        by: user,
                        nowMs: nowMs,
                        line: line,
                        on: connection,
                        logger
                    )
                )
            }
            let logged = try await PostgresUpdateLog.appendGroupChanged(
                group,
                for: [user],
                on: connection,
                logger: logger
            )
            var committed = GroupChangeCommit(
                group: try await Self.group(group, on: connection, logger),
                line: record,
                loggedFor: logged
            )
            committed.followingLines = following
            return committed
        }
    }

    public func edit(
        _ group: GroupID,
        _ edit: GroupEdit,
        by: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit {
        let logger = self.logger
        return try await database.withTransaction { connection in
            let current = try await Self.lockCurrentGroup(group, member: by, on: connection, logger)
            guard current.ownerID == by else {
                throw ChatError(.notGroupOwner, "Only the group's owner can change it.")
            }
            let change: GroupChange
            switch edit {
            case .rename(let name):
                try await connection.query("UPDATE groups SET name = \(name) WHERE id = \(group)", logger: logger)
                change = GroupChange(kind: .renamed, value: name)
            case .announce(let text):
                try await connection.query(
                    "UPDATE groups SET announcement = \(text) WHERE id = \(group)",
                    logger: logger
                )
                change = GroupChange(kind: .announced, value: text)
            case .transfer(let heir):
                guard heir != by, try await Self.isMember(heir, of: group, on: connection, logger) else {
                    throw ChatError(.notAMember, "You can only hand the group to another member.")
                }
                try await connection.query("UPDATE groups SET owner_id = \(heir) WHERE id = \(group)", logger: logger)
                change = GroupChange(kind: .ownerChanged, userIDs: [heir])
            }
            let record = try await Self.appendSystemLine(
                change,
                to: group,
                by: by,
                nowMs: nowMs,
                line: line,
                on: connection,
                logger
            )
            return GroupChangeCommit(
                group: try await Self.group(group, on: connection, logger),
                line: record,
                loggedFor: [:]
            )
        }
    }

    public func group(_ id: GroupID, for user: UserID) async throws -> GroupRecord {
        let found = try await Self.groups(
            database.query(
                """
                SELECT \(unescaped: Self.groupColumns) FROM groups g
                WHERE g.id = \(id) AND EXISTS(
                    SELECT 1 FROM group_members WHERE group_id = g.id AND user_id = \(user) AND left_seq IS NULL
                )
                """
            )
        )
        guard let group = found.first else { throw GroupRules.notInGroup }
        return group
    }

    public func members(of group: GroupID) async throws -> [GroupMemberRecord] {
        let rows = try await database.query(
            """
            SELECT user_id, joined_at_ms FROM group_members WHERE group_id = \(group) AND left_seq IS NULL
            ORDER BY joined_at_ms, user_id
            """
        )
        var members: [GroupMemberRecord] = []
        for try await (user, joined) in rows.decode((Int64, Int64).self) {
            members.append(GroupMemberRecord(userID: user, joinedAtMs: joined))
        }
        return members
    }

    public func memberIDs(of group: GroupID) async throws -> [UserID] {
        try await Self.memberIDs(database.query(Self.memberIDsQuery(of: group)))
    }

    public func memberIDs(of group: GroupID, seeing seq: UInt64) async throws -> [UserID] {
        try await Self.memberIDs(
            database.query(
                """
                SELECT user_id FROM group_members
                WHERE group_id = \(group) AND left_seq IS NULL AND joined_seq <= \(Int64(clamping: seq))
                """
            )
        )
    }

    public func groups(of user: UserID) async throws -> [GroupConversationRecord] {
        // Everything a member must learn comes from the group's seq and their own row: unread
        // counts others' messages past their read position; a mention is one of the (few)
        // mention rows past it, or an @all.
        let rows = try await database.query(
            """
            SELECT \(unescaped: Self.groupColumns), gm.joined_seq, gm.read_seq, gm.muted, gm.left_seq, v.visible_seq,
                   (SELECT count(*) FROM messages x
                     WHERE x.user_lo = 0 AND x.user_hi = g.id AND x.seq > gm.read_seq AND x.seq <= v.visible_seq
                       AND x.sender_id <> gm.user_id AND x.kind = \(Int64(MessageKind.text.rawValue))) AS unread,
                   EXISTS(SELECT 1 FROM group_mentions gn
                     WHERE gn.user_id = gm.user_id AND gn.group_id = g.id AND gn.seq > gm.read_seq
                       AND gn.seq <= v.visible_seq)
                   OR EXISTS(SELECT 1 FROM messages x
                     WHERE x.user_lo = 0 AND x.user_hi = g.id AND x.seq > gm.read_seq AND x.seq <= v.visible_seq
                       AND x.mentions_all AND x.sender_id <> gm.user_id) AS mentioned,
                   \(unescaped: PostgresMessageRow.columns)
            FROM group_members gm
            JOIN groups g ON g.id = gm.group_id
            LEFT JOIN conversations c ON c.user_lo = 0 AND c.user_hi = g.id
            CROSS JOIN LATERAL (SELECT COALESCE(gm.left_seq, c.last_seq, 0) AS visible_seq) v
            LEFT JOIN messages m ON m.user_lo = 0 AND m.user_hi = g.id AND m.seq = v.visible_seq
            WHERE gm.user_id = \(user)
            ORDER BY g.id
            """
        )
        var groups: [GroupConversationRecord] = []
        for try await row in rows {
            let row = row.makeRandomAccess()
            groups.append(
                GroupConversationRecord(
                    group: try Self.group(row),
                    lastMessage: try PostgresMessageRow.message(row),
                    lastSeq: UInt64(try row["visible_seq"].decode(Int64.self)),
                    readSeq: UInt64(try row["read_seq"].decode(Int64.self)),
                    unread: UInt64(try row["unread"].decode(Int64.self)),
                    mentioned: try row["mentioned"].decode(Bool.self),
                    muted: try row["muted"].decode(Bool.self),
                    joinedSeq: UInt64(try row["joined_seq"].decode(Int64.self)),
                    isMember: try row["left_seq"].decode(Int64?.self) == nil
                )
            )
        }
        return groups
    }

    public func groupSeqSum(of user: UserID) async throws -> UInt64 {
        // sum() of bigint is numeric: cast back.
        let rows = try await database.query(
            """
            SELECT COALESCE(sum(COALESCE(gm.left_seq, c.last_seq, 0)), 0)::bigint FROM group_members gm
            LEFT JOIN conversations c ON c.user_lo = 0 AND c.user_hi = gm.group_id
            WHERE gm.user_id = \(user)
            """
        )
        for try await sum in rows.decode(Int64.self) { return UInt64(sum) }
        return 0
    }

    public func history(
        of group: GroupID,
        for user: UserID,
        beforeSeq: UInt64,
        afterSeq: UInt64?,
        limit: Int
    ) async throws -> [MessageRecord] {
        let range = try await Self.visibleRange(database.query(Self.visibleRangeQuery(of: group, for: user)))
        if let afterSeq {
            return try await PostgresMessageStore.messages(
                database.query(
                    """
                    SELECT \(unescaped: PostgresMessageRow.columns) FROM messages m
                    WHERE m.user_lo = 0 AND m.user_hi = \(group) AND m.seq > \(Int64(clamping: afterSeq))
                      AND m.seq >= \(range.lowerBound) AND m.seq <= \(range.upperBound)
                    ORDER BY m.seq LIMIT \(limit)
                    """
                )
            )
        }
        let before = beforeSeq == 0 ? Int64.max : Int64(clamping: beforeSeq)
        return try await PostgresMessageStore.messages(
            database.query(
                """
                SELECT \(unescaped: PostgresMessageRow.columns) FROM messages m
                WHERE m.user_lo = 0 AND m.user_hi = \(group) AND m.seq < \(before)
                  AND m.seq >= \(range.lowerBound) AND m.seq <= \(range.upperBound)
                ORDER BY m.seq DESC LIMIT \(limit)
                """
            )
        )
    }

    public func markRead(user: UserID, group: GroupID, seq: UInt64) async throws -> UpdateRecord? {
        let logger = self.logger
        return try await database.withTransaction { connection in
            // The user's update log grows under their row's lock (as in a message batch).
            try await Self.lockUsers([user], on: connection, logger)
            let range = try await Self.visibleRange(
                connection.query(Self.visibleRangeQuery(of: group, for: user), logger: logger)
            )
            var last: Int64 = 0
            for try await seq in try await connection.query(
                "SELECT last_seq FROM conversations WHERE user_lo = 0 AND user_hi = \(group)",
                logger: logger
            ).decode(Int64.self) {
                last = seq
            }
            // Never past what they may see, never backwards.
            let target = min(Int64(clamping: seq), last, range.upperBound)
            let moved = try await connection.query(
                """
                UPDATE group_members SET read_seq = \(target)
                WHERE group_id = \(group) AND user_id = \(user) AND read_seq < \(target)
                RETURNING user_id
                """,
                logger: logger
            ).hasAnyRow()
            guard moved else { return nil }
            let id = try await PostgresUpdateLog.append(
                .groupRead,
                for: user,
                group: group,
                seq: target,
                on: connection,
                logger: logger
            )
            return .groupRead(updateID: id, groupID: group, seq: UInt64(target))
        }
    }

    public func readCount(of group: GroupID, seq: UInt64, asker: UserID) async throws -> (read: Int, members: Int) {
        _ = try await self.group(group, for: asker)  // a current member
        let range = try await Self.visibleRange(database.query(Self.visibleRangeQuery(of: group, for: asker)))
        let noSuch = ChatError(.noSuchMessage, "There is no such message.")
        guard seq <= UInt64(Int64.max), range.contains(Int64(seq)) else { throw noSuch }
        var sender: UserID?
        for try await id in try await database.query(
            "SELECT sender_id FROM messages WHERE user_lo = 0 AND user_hi = \(group) AND seq = \(Int64(seq))"
        ).decode(Int64.self) {
            sender = id
        }
        guard let sender else { throw noSuch }
        guard sender == asker else {
            throw ChatError(.notYourMessage, "You can only ask who has read your own messages.")
        }
        // Someone who keeps read receipts off is counted as not having read it.
        let rows = try await database.query(
            """
            SELECT count(*), count(*) FILTER (WHERE m.read_seq >= \(Int64(seq)) AND u.sends_read_receipts)
            FROM group_members m JOIN users u ON u.id = m.user_id
            WHERE m.group_id = \(group) AND m.left_seq IS NULL AND m.user_id <> \(sender)
              AND m.joined_seq <= \(Int64(seq))
            """
        )
        for try await (members, read) in rows.decode((Int64, Int64).self) {
            return (read: Int(read), members: Int(members))
        }
        return (read: 0, members: 0)
    }

    // MARK: Inside a transaction

    /// Takes the users' row locks, in id order.
    static func lockUsers(_ users: [UserID], on connection: PostgresConnection, _ logger: Logger) async throws {
        let ids = Array(Set(users)).sorted()
        try await connection.query(
            "SELECT id FROM users WHERE id = ANY(\(ids)) ORDER BY id FOR NO KEY UPDATE",
            logger: logger
        )
    }

    /// Takes the group's row lock, then returns it if `member` is in it now; `notAMember`
    /// otherwise (also for no such group). Membership is read after the lock, in a statement of
    /// its own, so a change committed while this waited is seen.
    static func lockCurrentGroup(
        _ group: GroupID,
        member: UserID,
        on connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> GroupRecord {
        let locked = try await Self.groups(
            connection.query(
                "SELECT \(unescaped: Self.groupColumns) FROM groups g WHERE g.id = \(group) FOR NO KEY UPDATE",
                logger: logger
            )
        )
        guard let current = locked.first, try await Self.isMember(member, of: group, on: connection, logger) else {
            throw GroupRules.notInGroup
        }
        return current
    }

    static func isMember(
        _ user: UserID,
        of group: GroupID,
        on connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> Bool {
        try await connection.query(
            "SELECT 1 FROM group_members WHERE group_id = \(group) AND user_id = \(user) AND left_seq IS NULL",
            logger: logger
        ).hasAnyRow()
    }

    /// Only friends of the one adding them, with no block between them either way; the first
    /// who is not, in the order given, says why.
    /// Nobody is in more than `maxGroupsPerUser` groups at once (their rows are locked).
    static func checkRoomInGroups(
        for users: [UserID],
        on connection: PostgresConnection,
        _ logger: Logger
    )
        async throws
    {
        for try await count in try await connection.query(
            """
            SELECT count(*) FROM group_members WHERE user_id = ANY(\(users)) AND left_seq IS NULL
            GROUP BY user_id ORDER BY count(*) DESC LIMIT 1
            """,
            logger: logger
        ).decode(Int64.self) where count >= ProtocolLimits.maxGroupsPerUser {
            throw ChatError(
                .limitReached,
                "That would make more than \(ProtocolLimits.maxGroupsPerUser) groups for one person."
            )
        }
    }

    static func checkInvitable(
        _ users: [UserID],
        by inviter: UserID,
        on connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        try await checkRoomInGroups(for: users, on: connection, logger)
        var found: [(friends: Bool, blocked: Bool)] = []
        for try await (_, friends, blocked) in try await connection.query(
            """
            SELECT p.n,
                EXISTS(SELECT 1 FROM friendships f WHERE f.user_id = \(inviter) AND f.friend_id = p.u),
                EXISTS(SELECT 1 FROM blocks b
                       WHERE (b.blocker_id = \(inviter) AND b.blocked_id = p.u)
                          OR (b.blocker_id = p.u AND b.blocked_id = \(inviter)))
            FROM unnest(\(users)::bigint[]) WITH ORDINALITY AS p(u, n)
            ORDER BY p.n
            """,
            logger: logger
        ).decode((Int64, Bool, Bool).self) {
            found.append((friends: friends, blocked: blocked))
        }
        for user in found {
            guard user.friends else { throw ChatError(.notFriends, "You can only add your friends to a group.") }
            if user.blocked {
                throw ChatError(.blocked, "You cannot add someone while one of you blocks the other.")
            }
        }
    }

    /// Adds (or adds back) members, who see the group from the line that added them.
    static func join(
        _ users: [UserID],
        group: GroupID,
        atSeq seq: Int64,
        nowMs: Int64,
        on connection: PostgresConnection,
        _ logger: Logger
    ) async throws {
        try await connection.query(
            """
            INSERT INTO group_members(group_id, user_id, joined_seq, left_seq, read_seq, joined_at_ms)
            SELECT \(group), u.id, \(seq), NULL::bigint, \(seq - 1), \(nowMs) FROM unnest(\(users)::bigint[]) AS u(id)
            ON CONFLICT (group_id, user_id) DO UPDATE SET joined_seq = excluded.joined_seq, left_seq = NULL,
                read_seq = excluded.read_seq, joined_at_ms = excluded.joined_at_ms
            """,
            logger: logger
        )
    }

    static func appendSystemLine(
        _ change: GroupChange,
        to group: GroupID,
        by actor: UserID,
        nowMs: Int64,
        line: (GroupChange) -> String,
        on connection: PostgresConnection,
        _ logger: Logger
    ) async throws -> MessageRecord {
        try await PostgresMessageBatch(connection: connection, logger: logger).appendLine(
            to: .group(group),
            from: actor,
            kind: .system,
            clientID: { "group:\(group):\($0)" },
            text: line(change),
            nowMs: nowMs,
            change: change
        )
    }

    static func recount(_ group: GroupID, on connection: PostgresConnection, _ logger: Logger) async throws {
        try await connection.query(
            """
            UPDATE groups SET member_count =
                (SELECT count(*) FROM group_members WHERE group_id = \(group) AND left_seq IS NULL)
            WHERE id = \(group)
            """,
            logger: logger
        )
    }

    static func group(_ id: GroupID, on connection: PostgresConnection, _ logger: Logger) async throws -> GroupRecord {
        let found = try await Self.groups(
            connection.query("SELECT \(unescaped: Self.groupColumns) FROM groups g WHERE g.id = \(id)", logger: logger)
        )
        guard let group = found.first else { throw GroupRules.notInGroup }
        return group
    }

    // MARK: Rows

    /// The columns `group(_:)` decodes, from `groups g`.
    static let groupColumns = """
        g.id AS g_id, g.name AS g_name, g.announcement AS g_announcement, g.owner_id AS g_owner_id,
        g.member_count AS g_member_count, g.created_at_ms AS g_created_at_ms
        """

    static func group(_ row: PostgresRandomAccessRow) throws -> GroupRecord {
        GroupRecord(
            id: try row["g_id"].decode(Int64.self),
            name: try row["g_name"].decode(String.self),
            announcement: try row["g_announcement"].decode(String.self),
            ownerID: try row["g_owner_id"].decode(Int64.self),
            memberCount: Int(try row["g_member_count"].decode(Int64.self)),
            createdAtMs: try row["g_created_at_ms"].decode(Int64.self)
        )
    }

    static func groups(_ rows: PostgresRowSequence) async throws -> [GroupRecord] {
        var groups: [GroupRecord] = []
        for try await row in rows { groups.append(try Self.group(row.makeRandomAccess())) }
        return groups
    }

    static func memberIDsQuery(of group: GroupID) -> PostgresQuery {
        """
        SELECT user_id FROM group_members WHERE group_id = \(group) AND left_seq IS NULL
        ORDER BY joined_at_ms, user_id
        """
    }

    static func memberIDs(_ rows: PostgresRowSequence) async throws -> [UserID] {
        var ids: [UserID] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids
    }

    /// The seqs `user` may see in the group: from when they last joined, until they left.
    static func visibleRangeQuery(of group: GroupID, for user: UserID) -> PostgresQuery {
        "SELECT joined_seq, left_seq FROM group_members WHERE group_id = \(group) AND user_id = \(user)"
    }

    /// `visibleRangeQuery`'s answer; `notAMember` for a group they were never in.
    static func visibleRange(_ rows: PostgresRowSequence) async throws -> ClosedRange<Int64> {
        for try await (joined, left) in rows.decode((Int64, Int64?).self) {
            return joined...max(joined, left ?? Int64.max)
        }
        throw GroupRules.notInGroup
    }

}
