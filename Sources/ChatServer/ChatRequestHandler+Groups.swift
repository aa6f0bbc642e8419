import ChatProtocol
import ChatServices
import NIOCore

/// Groups: every change is checked and written by the store in one transaction, then its system
/// line is pushed to the members like a message, and the users who joined or left are told
/// through their update logs (`groupChanged`), pushed to their devices at once.
extension ChatRequestHandler {
    func createGroup(_ request: WireCreateGroup, by user: UserID) async throws -> WireGroupInfo {
        let name = try Self.checkedGroupName(request.name)
        guard request.memberIds.count < ProtocolLimits.maxGroupMembers * 2 else {
            throw ChatError(.limitReached, "A group has at most \(ProtocolLimits.maxGroupMembers) members.")
        }
        let names = try await usernames(request.memberIds + [user])
        let committed = try await groups.createGroup(
            owner: user,
            name: name,
            members: request.memberIds,
            nowMs: clock.nowMs(),
            line: { Self.line($0, actor: user, names: names) }
        )
        announce(committed)
        logger.info("group created", metadata: ["group": "\(committed.group.id)", "owner": "\(user)"])
        return try await groupInfo(committed.group.id, for: user)
    }

    func invite(_ request: WireInviteToGroup, by user: UserID) async throws {
        guard request.userIds.count <= ProtocolLimits.maxGroupMembers else {
            throw ChatError(.limitReached, "A group has at most \(ProtocolLimits.maxGroupMembers) members.")
        }
        let names = try await usernames(request.userIds + [user])
        let committed = try await groups.invite(
            request.userIds,
            to: request.groupID,
            by: user,
            nowMs: clock.nowMs(),
            line: { Self.line($0, actor: user, names: names) }
        )
        announce(committed)
    }

    /// Leaving (`member` == `by`) or removing (by the owner).
    func removeMember(_ member: UserID, from group: GroupID, by user: UserID) async throws {
        let names = try await usernames([member, user])
        let committed = try await groups.remove(
            member,
            from: group,
            by: user,
            nowMs: clock.nowMs(),
            line: { Self.line($0, actor: user, names: names) }
        )
        announce(committed)
        // The one who left sees the line too (their history ends with it), but the members'
        // push is looked up after they left.
        pushGroupLine(committed.line, to: member)
    }

    func editGroup(_ request: WireEditGroup, by user: UserID) async throws {
        let edit: GroupEdit
        var involved = [user]
        switch request.change {
        case .name(let name):
            edit = .rename(try Self.checkedGroupName(name))
        case .announcement(let text):
            try AccountRules.validateText(text, maxBytes: ProtocolLimits.maxAnnouncementBytes, what: "An announcement")
            edit = .announce(text)
        case .newOwnerID(let heir):
            edit = .transfer(to: heir)
            involved.append(heir)
        case nil:
            throw ChatError(.badRequest, "Say what to change: the name, the announcement or the owner.")
        }
        let names = try await usernames(involved)
        let committed = try await groups.edit(
            request.groupID,
            edit,
            by: user,
            nowMs: clock.nowMs(),
            line: { Self.line($0, actor: user, names: names) }
        )
        announce(committed)
    }

    func groupInfo(_ group: GroupID, for user: UserID) async throws -> WireGroupInfo {
        let record = try await groups.group(group, for: user)
        let members = try await groups.members(of: group)
        let ids = members.map(\.userID)
        let people = try await users.users(ids: ids)
        let online = await status.onlineUsers(among: ids)
        var info = WireGroupInfo()
        info.group = WireGroup(record)
        info.members = members.compactMap { member in
            guard let person = people[member.userID] else { return nil }
            var wire = WireGroupMember()
            wire.user = WireUser(person)
            wire.online = online.contains(member.userID)
            wire.joinedAtMs = member.joinedAtMs
            return wire
        }
        return info
    }

    func groupList(of user: UserID) async throws -> WireGroupList {
        var list = WireGroupList()
        list.groups = try await groups.groups(of: user).map { record in
            var conversation = WireGroupConversation()
            var group = record.group
            // The list is one reply for up to `maxGroupsPerUser` groups: texts as previews (the
            // announcement whole is GetGroup's). One who left learns nothing of it since.
            group.announcement = record.isMember ? group.announcement.previewCut() : ""
            if !record.isMember { group.memberCount = 0 }
            conversation.group = WireGroup(group)
            if var last = record.lastMessage {
                last.text = last.text.previewCut()
                last.reply?.excerpt = ""
                if var change = last.change {
                    change.value = change.value.previewCut()
                    change.userIDs = Array(change.userIDs.prefix(20))
                    last.change = change
                }
                conversation.lastMessage = WireChatMessage(last)
            }
            conversation.lastSeq = record.lastSeq
            conversation.readSeq = record.readSeq
            conversation.unread = record.unread
            conversation.mentioned = record.mentioned
            conversation.muted = record.muted
            conversation.joinedSeq = record.joinedSeq
            conversation.member = record.isMember
            return conversation
        }
        return list
    }

    // MARK: Telling members

    /// The line to the members, and `groupChanged` to the devices of whoever joined or left.
    private func announce(_ committed: GroupChangeCommit) {
        for line in [committed.line] + committed.followingLines {
            fanout.push(line, except: nil)
        }
        for (user, updateID) in committed.loggedFor {
            pushUpdate(.groupChanged(updateID: updateID, groupID: committed.group.id), to: user)
        }
    }

    private func pushGroupLine(_ line: MessageRecord, to user: UserID) {
        var push = WireMessagePush()
        push.message = WireChatMessage(line)
        self.push(.messagePush(push), to: user)
    }

    private func usernames(_ ids: [UserID]) async throws -> [UserID: String] {
        try await users.users(ids: Array(Set(ids.prefix(ProtocolLimits.maxGroupMembers * 2)))).mapValues(\.username)
    }

    /// A group's name: one line, not empty, at most `maxGroupNameBytes`.
    static func checkedGroupName(_ name: String) throws -> String {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        try AccountRules.validateText(trimmed, maxBytes: ProtocolLimits.maxGroupNameBytes, what: "A group name")
        guard !trimmed.isEmpty, !trimmed.contains(where: { $0.isNewline || $0 == "\t" }) else {
            throw ChatError(.invalidText, "A group name is one line of text.")
        }
        return trimmed
    }

    /// The system line's text, as clients without their own rendering show it.
    static func line(_ change: GroupChange, actor: UserID, names: [UserID: String]) -> String {
        func name(_ id: UserID) -> String { names[id] ?? "someone" }
        let who = change.userIDs.map(name).joined(separator: ", ")
        switch change.kind {
        case .created: return "\(name(actor)) created the group \"\(change.value)\" with \(who)"
        case .invited: return "\(name(actor)) invited \(who)"
        case .left: return "\(name(actor)) left"
        case .removed: return "\(name(actor)) removed \(who)"
        case .renamed: return "\(name(actor)) renamed the group to \"\(change.value)\""
        case .announced:
            return change.value.isEmpty
                ? "\(name(actor)) cleared the announcement" : "\(name(actor)) set the announcement: \(change.value)"
        case .ownerChanged: return "\(name(actor)) made \(who) the owner"
        }
    }
}
