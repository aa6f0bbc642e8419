import ChatProtocol
import Foundation

/// Groups: the requests that make and change them, their listing, and what only a group's
/// messages call for. Their messages follow the rules every conversation's do
/// (`ChatSession+Positions`): after connecting the groups are listed and each one behind is
/// caught up; a heartbeat whose `group_seq_sum` disagrees with this device's, an update saying my
/// groups changed, or a line that changes a group lists them again.
extension ChatSession {
    // MARK: Making and changing groups

    /// A group with me as its owner and `members` (friends of mine) in it; its id.
    public func createGroup(name: String, members: [UserID]) async throws -> GroupID {
        var wire = WireCreateGroup()
        wire.name = name
        wire.memberIds = members
        guard case .groupInfo(let info) = try await request(.createGroup(wire)), info.group.id > 0 else {
            throw ChatError(.malformedFrame, "The server did not answer with the new group.")
        }
        try noteGroupInfo(info)
        return info.group.id
    }

    /// Friends of mine join the group.
    public func invite(_ users: [UserID], to group: GroupID) async throws {
        var wire = WireInviteToGroup()
        wire.groupID = group
        wire.userIds = users
        _ = try await request(.inviteToGroup(wire))
        try await reloadMembersIfShown(group)
    }

    /// I leave the group: its history stays, readable, and sending to it is refused.
    public func leaveGroup(_ group: GroupID) async throws {
        var wire = WireLeaveGroup()
        wire.groupID = group
        _ = try await request(.leaveGroup(wire))
        guard var conversation = state.groups[group] else { return }
        conversation.isMember = false
        state.groups[group] = conversation
        // Empty, not unknown: the member pane says I left rather than waiting for a load.
        state.groupMembers[group] = []
        try cache.saveGroups([conversation], me: state.me.id)
        publishState()
    }

    /// The owner removes someone.
    public func removeMember(_ user: UserID, from group: GroupID) async throws {
        var wire = WireRemoveGroupMember()
        wire.groupID = group
        wire.userID = user
        _ = try await request(.removeGroupMember(wire))
        try await reloadMembersIfShown(group)
    }

    /// The owner renames the group.
    public func renameGroup(_ group: GroupID, to name: String) async throws {
        try await edit(group, .name(name)) { $0.name = name }
    }

    /// The owner sets the group's announcement ("" takes it down).
    public func setAnnouncement(_ text: String, of group: GroupID) async throws {
        try await edit(group, .announcement(text)) { $0.announcement = text }
    }

    /// The owner hands the group to another member.
    public func transferOwnership(of group: GroupID, to user: UserID) async throws {
        try await edit(group, .newOwnerID(user)) { $0.ownerID = user }
    }

    /// One owner's edit; shown here at once (the system line it adds lists the groups again).
    private func edit(
        _ group: GroupID,
        _ change: WireEditGroup.OneOf_Change,
        applied: (inout GroupSummary) -> Void
    ) async throws {
        var wire = WireEditGroup()
        wire.groupID = group
        wire.change = change
        _ = try await request(.editGroup(wire))
        guard var conversation = state.groups[group] else { return }
        applied(&conversation.group)
        state.groups[group] = conversation
        try cache.saveGroups([conversation], me: state.me.id)
        publishState()
    }

    /// The group's summary and members, fresh from the server, into `state.groups` and
    /// `state.groupMembers` (for the member pane).
    public func loadGroup(_ group: GroupID) async throws {
        var wire = WireGetGroup()
        wire.groupID = group
        guard case .groupInfo(let info) = try await request(.getGroup(wire)), info.group.id == group else { return }
        try noteGroupInfo(info)
    }

    /// How many members (but its sender) have read up to my message at `seq`, of how many could.
    public func readCount(of group: GroupID, seq: UInt64) async throws -> (read: Int, members: Int) {
        var wire = WireGetReadCount()
        wire.groupID = group
        wire.seq = seq
        guard case .readCount(let count) = try await request(.getReadCount(wire)) else {
            throw ChatError(.malformedFrame, "The server did not answer with a read count.")
        }
        return (Int(count.read), Int(count.members))
    }

    private func reloadMembersIfShown(_ group: GroupID) async throws {
        if state.groupMembers[group] != nil { try await loadGroup(group) }
    }

    /// A `GroupInfo` (CreateGroup's or GetGroup's answer): the summary and the members.
    func noteGroupInfo(_ info: WireGroupInfo) throws {
        let summary = GroupSummary(info.group)
        guard summary.id > 0 else { return }
        // A server listing someone twice keeps the first.
        var seen = Set<UserID>()
        let members = info.members.filter { seen.insert($0.user.id).inserted }.map(GroupMember.init)
        var conversation = state.groups[summary.id] ?? GroupConversation(group: summary)
        conversation.group = summary
        conversation.isMember = members.contains { $0.user.id == state.me.id }
        state.groups[summary.id] = conversation
        state.groupMembers[summary.id] = members
        // Members who are not friends are named from the cache offline.
        try cache.saveUsers(members.map(\.user))
        try cache.saveGroups([conversation], me: state.me.id)
        publishState()
    }

    // MARK: Listing and catching up

    /// Lists my groups and catches up each one this device is behind in. One listing at a time:
    /// one asked for meanwhile makes the running one go round again (a few times at most).
    func refreshGroups() async throws {
        guard let connection else { return }
        guard !listingGroups else {
            groupListAgain = true
            return
        }
        listingGroups = true
        defer { listingGroups = false }
        var roundsLeft = 3
        repeat {
            roundsLeft -= 1
            groupListAgain = false
            groupListStale = false
            guard case .groupList(let list) = try await connection.request(.listGroups(WireListGroups())) else {
                return
            }
            let listed = mergeGroupList(list)
            try cache.saveGroups(Array(state.groups.values), me: state.me.id)
            publishState()
            for id in listed.sorted() {
                guard let group = state.groups[id], group.lastSeq > positions[.group(id)] else { continue }
                try await catchUpConversation(.group(id), through: group.lastSeq)
            }
            if groupChangedInCatchUp {
                // A rename or a new owner among what was caught up: list once more to show it.
                groupChangedInCatchUp = false
                groupListAgain = true
            }
        } while groupListAgain && roundsLeft > 0
    }

    /// The server's list merged into the state; the ids it listed. Reads and seqs never move
    /// back (a read mark of this device may not have reached the server yet); a group it no
    /// longer lists is one I am not in (the history stays).
    private func mergeGroupList(_ list: WireGroupList) -> Set<GroupID> {
        var listed = Set<GroupID>()
        for wire in list.groups where wire.group.id > 0 && listed.insert(wire.group.id).inserted {
            var group = GroupConversation(wire)
            if let local = state.groups[group.group.id] {
                group.lastSeq = max(group.lastSeq, local.lastSeq)
                group.readSeq = max(group.readSeq, local.readSeq)
                if (local.lastMessage?.seq ?? 0) > (group.lastMessage?.seq ?? 0) {
                    group.lastMessage = local.lastMessage
                }
            }
            let unreadAtMost = group.lastSeq > group.readSeq ? group.lastSeq - group.readSeq : 0
            group.unread = min(group.unread, unreadAtMost)
            if group.unread == 0 { group.mentioned = false }
            state.groups[group.group.id] = group
        }
        for (id, group) in state.groups where !listed.contains(id) && group.isMember {
            state.groups[id]?.isMember = false
        }
        return listed
    }

    /// What a group's message calls for once received (`receiveMessage`): a rename or a new owner
    /// among what a catch-up brought, or a line that changes the group, lists the groups again
    /// (and its members, when they are shown).
    func followGroupMessage(_ message: ChatMessage, in id: GroupID) async {
        if groupChangedInCatchUp {
            groupChangedInCatchUp = false
            await relistGroups()
        }
        guard let change = message.change, change.changesSummary else { return }
        await relistGroups()
        if change.changesMembers, state.groupMembers[id] != nil { try? await loadGroup(id) }
    }

    /// A group's message, applied to the state: the preview, and the badges (a message from
    /// someone else that is new here counts as unread, and mentioning me raises the "@").
    func noteGroupMessage(_ message: ChatMessage, in id: GroupID) {
        guard var group = state.groups[id] else { return }
        let isNew = message.seq > group.lastSeq
        if isNew {
            group.lastSeq = message.seq
            group.lastMessage = message
        }
        if message.senderID == state.me.id {
            group.readSeq = max(group.readSeq, message.seq)
            if group.readSeq >= group.lastSeq {
                group.unread = 0
                group.mentioned = false
            }
            state.outbox.removeAll { $0.clientMessageID == message.clientMessageID }
        } else if isNew && message.seq > group.readSeq && message.kind == .text {
            let (unread, overflow) = group.unread.addingReportingOverflow(1)
            group.unread = overflow ? .max : unread
            if message.mentions(state.me.id) { group.mentioned = true }
        }
        state.groups[id] = group
    }

    /// Lists the groups again, logging a failure (the next heartbeat's sum tries again).
    func relistGroups() async {
        do { try await refreshGroups() } catch {
            logger.debug("listing groups failed", metadata: ["error": "\(error)"])
        }
    }

    /// A heartbeat's answers said the sum of my groups' seqs was `previous` a heartbeat ago and is
    /// `current` now. Pushes still on their way explain a sum between the two; below both, a
    /// push was missed, and above both, the server's groups changed under this device: list them
    /// again. Once per disagreement, so a server that never agrees costs one listing, not one a
    /// heartbeat.
    func listGroupsIfBehind(previous: UInt64, current: UInt64) async {
        let mine = positions.sum(of: state.groups.keys.map(ConversationKey.group))
        let disagrees = mine < min(previous, current) || mine > max(previous, current)
        guard groupSumCheck.shouldList(mine: mine, server: current, disagrees: disagrees) else { return }
        logger.debug(
            "group positions disagree with the server; listing groups",
            metadata: ["mine": "\(mine)", "server": "\(current)"]
        )
        await relistGroups()
    }
}
