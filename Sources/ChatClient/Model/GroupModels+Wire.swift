import ChatProtocol

// The groups' models from what the server sends. A server is not trusted: a count it cannot mean
// is clamped, and ids are checked by the session before anything is keyed by them.

extension GroupSummary {
    init(_ wire: WireGroup) {
        self.init(
            id: wire.id,
            name: wire.name,
            announcement: wire.announcement,
            ownerID: wire.ownerID,
            memberCount: Int(wire.memberCount)
        )
    }
}

extension GroupConversation {
    /// As the server lists it; a preview from another conversation is left out.
    init(_ wire: WireGroupConversation) {
        let preview = wire.hasLastMessage ? ChatMessage(wire.lastMessage) : nil
        self.init(
            group: GroupSummary(wire.group),
            lastMessage: preview?.groupID == wire.group.id ? preview : nil,
            lastSeq: wire.lastSeq,
            readSeq: wire.readSeq,
            unread: wire.unread,
            mentioned: wire.mentioned,
            muted: wire.muted,
            joinedSeq: wire.joinedSeq,
            isMember: wire.member
        )
    }
}

extension GroupMember {
    init(_ wire: WireGroupMember) {
        self.init(user: UserSummary(wire.user), online: wire.online, joinedAtMs: wire.joinedAtMs)
    }
}

extension GroupChangeNote {
    /// Whether the line changes what the group list shows (its name, announcement, owner or
    /// members), so the list is asked for again.
    var changesSummary: Bool {
        switch kind {
        case .created, .invited, .left, .removed, .renamed, .announced, .ownerChanged: true
        case .unspecified, .UNRECOGNIZED: false
        }
    }

    /// Whether it changes who is in the group.
    var changesMembers: Bool {
        switch kind {
        case .created, .invited, .left, .removed, .ownerChanged: true
        default: false
        }
    }
}
