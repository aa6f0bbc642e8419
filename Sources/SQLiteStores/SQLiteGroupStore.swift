import ChatProtocol
import ChatServices
import GRDB

/// Groups in the embedded database. Every change is one write transaction: SQLite's single
/// writer makes each check (friendship, membership, the 500 cap) and its write atomic.
public struct SQLiteGroupStore: GroupStore {
    let database: SQLiteDatabase

    public init(database: SQLiteDatabase) {
        self.database = database
    }

    public func createGroup(
        owner: UserID,
        name: String,
        members: [UserID],
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit {
        let invited = try GroupRules.founders(owner: owner, members: members)
        return try await database.pool.write { db in
            try Self.checkRoomInGroups(for: owner, in: db)
            try Self.checkInvitable(invited, by: owner, in: db)
            try db.execute(
                sql: "INSERT INTO groups(name, owner_id, member_count, created_at_ms) VALUES (?, ?, ?, ?)",
                arguments: [name, owner, invited.count + 1, nowMs]
            )
            let group = db.lastInsertedRowID
            let change = GroupChange(kind: .created, userIDs: invited, value: name)
            var batch = MessageCommitBatch()
            let record = try batch.appendLine(
                to: .group(group),
                from: owner,
                kind: .system,
                clientID: "group:\(group):created",
                text: line(change),
                nowMs: nowMs,
                change: change,
                in: db
            )
            try batch.finish(in: db)
            var logged: [UserID: UInt64] = [:]
            for user in [owner] + invited {
                try Self.join(user, group: group, atSeq: record.seq, nowMs: nowMs, in: db)
                logged[user] = try SQLiteMessageStore.logUpdate(.groupChanged, for: user, group: group, in: db)
            }
            return GroupChangeCommit(group: try Self.group(group, in: db), line: record, loggedFor: logged)
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
        return try await database.pool.write { db in
            let current = try Self.currentGroup(group, member: inviter, in: db)
            let members = Set(try Self.memberIDs(of: group, in: db))
            let joining = invited.filter { !members.contains($0) }
            guard !joining.isEmpty else { throw ChatError(.badRequest, "They are all in the group already.") }
            try Self.checkInvitable(joining, by: inviter, in: db)
            guard current.memberCount + joining.count <= ProtocolLimits.maxGroupMembers else { throw GroupRules.full }
            let change = GroupChange(kind: .invited, userIDs: joining)
            let record = try Self.appendSystemLine(change, to: group, by: inviter, nowMs: nowMs, line: line, in: db)
            var logged: [UserID: UInt64] = [:]
            for user in joining {
                try Self.join(user, group: group, atSeq: record.seq, nowMs: nowMs, in: db)
                logged[user] = try SQLiteMessageStore.logUpdate(.groupChanged, for: user, group: group, in: db)
            }
            try Self.recount(group, in: db)
            return GroupChangeCommit(group: try Self.group(group, in: db), line: record, loggedFor: logged)
        }
    }

    public func remove(
        _ user: UserID,
        from group: GroupID,
        by: UserID,
        nowMs: Int64,
        line: @escaping @Sendable (GroupChange) -> String
    ) async throws -> GroupChangeCommit {
        try await database.pool.write { db in
            let current = try Self.currentGroup(group, member: by, in: db)
            if user != by {
                guard current.ownerID == by else {
                    throw ChatError(.notGroupOwner, "Only the group's owner can remove members.")
                }
                guard try Self.isMember(user, of: group, in: db) else {
                    throw ChatError(.notAMember, "They are not in the group.")
                }
            }
            let change = GroupChange(kind: user == by ? .left : .removed, userIDs: [user])
            // The line first, so the one leaving sees it: their history ends with it.
            let record = try Self.appendSystemLine(change, to: group, by: by, nowMs: nowMs, line: line, in: db)
            try db.execute(
                sql: "UPDATE group_members SET left_seq = ? WHERE group_id = ? AND user_id = ?",
                arguments: [Int64(record.seq), group, user]
            )
            try db.execute(
                sql: "DELETE FROM group_mentions WHERE user_id = ? AND group_id = ?",
                arguments: [user, group]
            )
            try Self.recount(group, in: db)
            var following: [MessageRecord] = []
            if current.ownerID == user, let heir = try Self.memberIDs(of: group, in: db).first {
                // An owner who leaves hands the group to the longest-standing member, with a line
                // that tells everyone (devices learn the owner from such lines).
                try db.execute(sql: "UPDATE groups SET owner_id = ? WHERE id = ?", arguments: [heir, group])
                let handover = GroupChange(kind: .ownerChanged, userIDs: [heir])
                following.append(
                    try Self.appendSystemLine(handover, to: group, by: user, nowMs: nowMs, line: line, in: db)
                )
            }
            let logged = [user: try SQLiteMessageStore.logUpdate(.groupChanged, for: user, group: group, in: db)]
            var committed = GroupChangeCommit(group: try Self.group(group, in: db), line: record, loggedFor: logged)
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
        try await database.pool.write { db in
            let current = try Self.currentGroup(group, member: by, in: db)
            guard current.ownerID == by else {
                throw ChatError(.notGroupOwner, "Only the group's owner can change it.")
            }
            let change: GroupChange
            switch edit {
            case .rename(let name):
                try db.execute(sql: "UPDATE groups SET name = ? WHERE id = ?", arguments: [name, group])
                change = GroupChange(kind: .renamed, value: name)
            case .announce(let text):
                try db.execute(sql: "UPDATE groups SET announcement = ? WHERE id = ?", arguments: [text, group])
                change = GroupChange(kind: .announced, value: text)
            case .transfer(let heir):
                guard heir != by, try Self.isMember(heir, of: group, in: db) else {
                    throw ChatError(.notAMember, "You can only hand the group to another member.")
                }
                try db.execute(sql: "UPDATE groups SET owner_id = ? WHERE id = ?", arguments: [heir, group])
                change = GroupChange(kind: .ownerChanged, userIDs: [heir])
            }
            let record = try Self.appendSystemLine(change, to: group, by: by, nowMs: nowMs, line: line, in: db)
            return GroupChangeCommit(group: try Self.group(group, in: db), line: record, loggedFor: [:])
        }
    }

    public func group(_ id: GroupID, for user: UserID) async throws -> GroupRecord {
        try database.read { db in
            guard
                try Bool.fetchOne(
                    db,
                    sql: """
                        SELECT EXISTS(SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ? AND left_seq IS NULL)
                        """,
                    arguments: [id, user]
                ) ?? false
            else { throw GroupRules.notInGroup }
            return try Self.group(id, in: db)
        }
    }

    public func members(of group: GroupID) async throws -> [GroupMemberRecord] {
        try database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT user_id, joined_at_ms FROM group_members WHERE group_id = ? AND left_seq IS NULL
                    ORDER BY joined_at_ms, user_id
                    """,
                arguments: [group]
            ).map { GroupMemberRecord(userID: $0["user_id"], joinedAtMs: $0["joined_at_ms"]) }
        }
    }

    public func memberIDs(of group: GroupID) async throws -> [UserID] {
        try database.read { db in try Self.memberIDs(of: group, in: db) }
    }

    public func memberIDs(of group: GroupID, seeing seq: UInt64) async throws -> [UserID] {
        try database.read { db in
            try Int64.fetchAll(
                db,
                sql: "SELECT user_id FROM group_members WHERE group_id = ? AND left_seq IS NULL AND joined_seq <= ?",
                arguments: [group, Int64(clamping: seq)]
            )
        }
    }

    public func groups(of user: UserID) async throws -> [GroupConversationRecord] {
        try database.read { db in
            // Everything a member must learn comes from the group's seq and their own row:
            // unread counts others' messages (not the system or recall lines) past their read
            // position; a mention is one of the
            // (few) mention rows past it, or an @all.
            try Row.fetchAll(
                db,
                sql: """
                    SELECT g.*, gm.joined_seq, gm.read_seq, gm.muted, gm.left_seq,
                           COALESCE(gm.left_seq, c.last_seq, 0) AS visible_seq,
                           (SELECT count(*) FROM messages x
                             WHERE x.user_lo = 0 AND x.user_hi = g.id AND x.seq > gm.read_seq
                               AND x.seq <= COALESCE(gm.left_seq, c.last_seq, 0)
                               AND x.sender_id <> gm.user_id AND x.kind = 0) AS unread,
                           EXISTS(SELECT 1 FROM group_mentions gn
                             WHERE gn.user_id = gm.user_id AND gn.group_id = g.id AND gn.seq > gm.read_seq
                               AND gn.seq <= COALESCE(gm.left_seq, c.last_seq, 0))
                           OR EXISTS(SELECT 1 FROM messages x
                             WHERE x.user_lo = 0 AND x.user_hi = g.id AND x.seq > gm.read_seq
                               AND x.seq <= COALESCE(gm.left_seq, c.last_seq, 0)
                               AND x.mentions_all AND x.sender_id <> gm.user_id) AS mentioned
                    FROM group_members gm
                    JOIN groups g ON g.id = gm.group_id
                    LEFT JOIN conversations c ON c.user_lo = 0 AND c.user_hi = g.id
                    WHERE gm.user_id = ?
                    ORDER BY g.id
                    """,
                arguments: [user]
            ).map { row in
                let visible = row["visible_seq"] as Int64
                let last = try Row.fetchOne(
                    db,
                    sql: "SELECT * FROM messages WHERE user_lo = 0 AND user_hi = ? AND seq = ?",
                    arguments: [row["id"] as Int64, visible]
                )
                return GroupConversationRecord(
                    group: Self.group(row),
                    lastMessage: last.map(SQLiteMessageStore.message),
                    lastSeq: UInt64(visible),
                    readSeq: UInt64(row["read_seq"] as Int64),
                    unread: UInt64(row["unread"] as Int64),
                    mentioned: row["mentioned"],
                    muted: row["muted"],
                    joinedSeq: UInt64(row["joined_seq"] as Int64),
                    isMember: (row["left_seq"] as Int64?) == nil
                )
            }
        }
    }

    public func groupSeqSum(of user: UserID) async throws -> UInt64 {
        try database.read { db in
            UInt64(
                try Int64.fetchOne(
                    db,
                    sql: """
                        SELECT COALESCE(sum(COALESCE(gm.left_seq, c.last_seq, 0)), 0) FROM group_members gm
                        LEFT JOIN conversations c ON c.user_lo = 0 AND c.user_hi = gm.group_id
                        WHERE gm.user_id = ?
                        """,
                    arguments: [user]
                ) ?? 0
            )
        }
    }

    public func history(
        of group: GroupID,
        for user: UserID,
        beforeSeq: UInt64,
        afterSeq: UInt64?,
        limit: Int
    ) async throws -> [MessageRecord] {
        try database.read { db in
            let range = try Self.visibleRange(of: group, for: user, in: db)
            if let afterSeq {
                return try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM messages WHERE user_lo = 0 AND user_hi = ? AND seq > ? AND seq >= ? AND seq <= ?
                        ORDER BY seq LIMIT ?
                        """,
                    arguments: [group, Int64(clamping: afterSeq), range.lowerBound, range.upperBound, limit]
                ).map(SQLiteMessageStore.message)
            }
            let before = beforeSeq == 0 ? Int64.max : Int64(clamping: beforeSeq)
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM messages WHERE user_lo = 0 AND user_hi = ? AND seq < ? AND seq >= ? AND seq <= ?
                    ORDER BY seq DESC LIMIT ?
                    """,
                arguments: [group, before, range.lowerBound, range.upperBound, limit]
            ).map(SQLiteMessageStore.message)
        }
    }

    public func markRead(user: UserID, group: GroupID, seq: UInt64) async throws -> UpdateRecord? {
        try await database.pool.write { db in
            let range = try Self.visibleRange(of: group, for: user, in: db)
            let last =
                try Int64.fetchOne(
                    db,
                    sql: "SELECT last_seq FROM conversations WHERE user_lo = 0 AND user_hi = ?",
                    arguments: [group]
                ) ?? 0
            let target = min(Int64(clamping: seq), last, range.upperBound)
            try db.execute(
                sql: "UPDATE group_members SET read_seq = ? WHERE group_id = ? AND user_id = ? AND read_seq < ?",
                arguments: [target, group, user, target]
            )
            guard db.changesCount > 0 else { return nil }
            let id = try SQLiteMessageStore.logUpdate(.groupRead, for: user, group: group, seq: UInt64(target), in: db)
            return .groupRead(updateID: id, groupID: group, seq: UInt64(target))
        }
    }

    public func readCount(of group: GroupID, seq: UInt64, asker: UserID) async throws -> (read: Int, members: Int) {
        try database.read { db in
            guard try Self.isMember(asker, of: group, in: db) else { throw GroupRules.notInGroup }
            let range = try Self.visibleRange(of: group, for: asker, in: db)
            guard seq <= UInt64(Int64.max), range.contains(Int64(seq)),
                let sender = try Int64.fetchOne(
                    db,
                    sql: "SELECT sender_id FROM messages WHERE user_lo = 0 AND user_hi = ? AND seq = ?",
                    arguments: [group, Int64(seq)]
                )
            else { throw ChatError(.noSuchMessage, "There is no such message.") }
            guard sender == asker else {
                throw ChatError(.notYourMessage, "You can only ask who has read your own messages.")
            }
            // Someone who keeps read receipts off is counted as not having read it.
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT count(*) AS members, COALESCE(sum(m.read_seq >= ?2 AND u.sends_read_receipts), 0) AS read
                    FROM group_members m JOIN users u ON u.id = m.user_id
                    WHERE m.group_id = ?1 AND m.left_seq IS NULL AND m.user_id <> ?3 AND m.joined_seq <= ?2
                    """,
                arguments: [group, Int64(seq), sender]
            )
            return (read: row?["read"] ?? 0, members: row?["members"] ?? 0)
        }
    }

    // MARK: Inside a write

    /// The group, if `member` is in it now; `notAMember` otherwise (also for no such group).
    static func currentGroup(_ group: GroupID, member: UserID, in db: Database) throws -> GroupRecord {
        guard try isMember(member, of: group, in: db) else { throw GroupRules.notInGroup }
        return try Self.group(group, in: db)
    }

    static func isMember(_ user: UserID, of group: GroupID, in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: "SELECT EXISTS(SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ? AND left_seq IS NULL)",
            arguments: [group, user]
        ) ?? false
    }

    static func memberIDs(of group: GroupID, in db: Database) throws -> [UserID] {
        try Int64.fetchAll(
            db,
            sql: """
                SELECT user_id FROM group_members WHERE group_id = ? AND left_seq IS NULL
                ORDER BY joined_at_ms, user_id
                """,
            arguments: [group]
        )
    }

    /// Only friends of the one adding them, with no block between them either way.
    /// Nobody is in more than `maxGroupsPerUser` groups at once.
    static func checkRoomInGroups(for user: UserID, in db: Database) throws {
        let groups =
            try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM group_members WHERE user_id = ? AND left_seq IS NULL",
                arguments: [user]
            ) ?? 0
        guard groups < ProtocolLimits.maxGroupsPerUser else {
            throw ChatError(
                .limitReached,
                "That would make more than \(ProtocolLimits.maxGroupsPerUser) groups for one person."
            )
        }
    }

    static func checkInvitable(_ users: [UserID], by inviter: UserID, in db: Database) throws {
        for user in users {
            try checkRoomInGroups(for: user, in: db)
            let found = try Row.fetchOne(
                db,
                sql: """
                    SELECT EXISTS(SELECT 1 FROM friendships WHERE user_id = ?1 AND friend_id = ?2) AS friends,
                           EXISTS(SELECT 1 FROM blocks WHERE (blocker_id = ?1 AND blocked_id = ?2)
                                                          OR (blocker_id = ?2 AND blocked_id = ?1)) AS blocked
                    """,
                arguments: [inviter, user]
            )
            guard let found, found["friends"] as Bool else {
                throw ChatError(.notFriends, "You can only add your friends to a group.")
            }
            if found["blocked"] as Bool {
                throw ChatError(.blocked, "You cannot add someone while one of you blocks the other.")
            }
        }
    }

    /// Adds (or adds back) a member, who sees the group from the line that added them.
    static func join(_ user: UserID, group: GroupID, atSeq seq: UInt64, nowMs: Int64, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO group_members(group_id, user_id, joined_seq, left_seq, read_seq, joined_at_ms)
                VALUES (?1, ?2, ?3, NULL, ?3 - 1, ?4)
                ON CONFLICT(group_id, user_id) DO UPDATE SET joined_seq = ?3, left_seq = NULL,
                    read_seq = ?3 - 1, joined_at_ms = ?4
                """,
            arguments: [group, user, Int64(seq), nowMs]
        )
    }

    static func appendSystemLine(
        _ change: GroupChange,
        to group: GroupID,
        by actor: UserID,
        nowMs: Int64,
        line: (GroupChange) -> String,
        in db: Database
    ) throws -> MessageRecord {
        var batch = MessageCommitBatch()
        let next = try batch.lastSeq(of: .group(group), in: db) + 1
        let record = try batch.appendLine(
            to: .group(group),
            from: actor,
            kind: .system,
            clientID: "group:\(group):\(next)",
            text: line(change),
            nowMs: nowMs,
            change: change,
            in: db
        )
        try batch.finish(in: db)
        return record
    }

    static func recount(_ group: GroupID, in db: Database) throws {
        try db.execute(
            sql: """
                UPDATE groups SET member_count =
                    (SELECT count(*) FROM group_members WHERE group_id = ?1 AND left_seq IS NULL)
                WHERE id = ?1
                """,
            arguments: [group]
        )
    }

    static func group(_ id: GroupID, in db: Database) throws -> GroupRecord {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM groups WHERE id = ?", arguments: [id]) else {
            throw GroupRules.notInGroup
        }
        return group(row)
    }

    static func group(_ row: Row) -> GroupRecord {
        GroupRecord(
            id: row["id"],
            name: row["name"],
            announcement: row["announcement"],
            ownerID: row["owner_id"],
            memberCount: row["member_count"],
            createdAtMs: row["created_at_ms"]
        )
    }

    /// The seqs `user` may see in the group: from when they last joined, until they left.
    static func visibleRange(of group: GroupID, for user: UserID, in db: Database) throws -> ClosedRange<Int64> {
        guard
            let row = try Row.fetchOne(
                db,
                sql: "SELECT joined_seq, left_seq FROM group_members WHERE group_id = ? AND user_id = ?",
                arguments: [group, user]
            )
        else { throw GroupRules.notInGroup }
        let joined: Int64 = row["joined_seq"]
        return joined...max(joined, (row["left_seq"] as Int64?) ?? Int64.max)
    }
}
