import ChatClient
import ChatProtocol
import Foundation

extension AppState {
    // MARK: Member pane and mute

    /// The members of the open group, when they were never loaded: the pane lists them, and the
    /// chat names by them the senders who are not my friends.
    func membersForThePane() -> [Effect] {
        guard let group = selectedConversation?.groupID, chat?.groupMembers[group] == nil else {
            return []
        }
        return [.loadGroup(group)]
    }

    /// Alt-M: the member pane beside a group's chat, shown or hidden. Shown, it asks for the
    /// members again: presence changed while it was hidden.
    mutating func toggleMemberPane() -> [Effect] {
        guard memberPaneOpen || selectedGroup != nil else {
            showNotice("Members show beside a group's chat: open a group first.", .info)
            return []
        }
        memberPaneOpen.toggle()
        guard memberPaneOpen, let group = selectedConversation?.groupID else { return [] }
        if MainView.layout(self).members == nil {
            showNotice("The window is too narrow to show the members beside the chat.", .info)
        }
        return [.loadGroup(group)]
    }

    /// Alt-N: mutes or unmutes the open conversation, on the server (every device follows).
    mutating func toggleMute() -> [Effect] {
        guard let key = selectedConversation else {
            showNotice("Open a conversation to mute it.", .info)
            return []
        }
        return [.setMuted(key, !isMuted(key))]
    }

    // MARK: Group info

    /// Alt-I: the open group's panel; its members load as it opens.
    mutating func openGroupInfo() -> [Effect] {
        guard let group = selectedGroup else {
            let name = selectedFriend.map { ": this is your chat with \($0.displayName)" } ?? ""
            showNotice("Group info is for groups\(name).", .info)
            return []
        }
        overlay = .groupInfo(GroupInfoPanel(group: group.group.id))
        return [.loadGroup(group.group.id)]
    }

    /// A group's members as the pane and the panel list them: the owner first, then those
    /// online, then by name.
    func members(of group: GroupID) -> [GroupMember] {
        let owner = chat?.groups[group]?.group.ownerID
        return (chat?.groupMembers[group] ?? []).sorted { a, b in
            if (a.user.id == owner) != (b.user.id == owner) { return a.user.id == owner }
            if a.online != b.online { return a.online }
            let byName = memberName(a.user.id, in: group).localizedCaseInsensitiveCompare(
                memberName(b.user.id, in: group)
            )
            return byName == .orderedSame ? a.user.id < b.user.id : byName == .orderedAscending
        }
    }

    /// Keys in the group's panel: ↑↓ choose a member; `i` invite, `l` leave; the owner's `r`
    /// rename, `a` announcement, `d`/Del remove, `o` make owner. What cannot be undone asks first.
    mutating func groupInfoKey(_ key: Key, _ panel: inout GroupInfoPanel) -> [Effect] {
        defer { if case .groupInfo = overlay { overlay = .groupInfo(panel) } }
        guard let group = chat?.groups[panel.group] else { return [] }
        if let field = panel.editing { return groupFieldKey(key, field, &panel) }
        guard !panel.busy else { return [] }
        let list = members(of: panel.group)
        let owner = group.group.ownerID == me?.id
        let chosen = list.indices.contains(panel.selected) ? list[panel.selected] : nil
        let name = group.group.name
        // The owner's keys, pressed by someone else, are said and not done.
        let notOwner: String? = owner ? nil : "Only the owner, \(memberName(group.group.ownerID, in: panel.group)), can"
        panel.error = nil
        switch key {
        case .up, .character("k"): panel.selected = max(0, panel.selected - 1)
        case .down, .character("j"): panel.selected = min(max(0, list.count - 1), panel.selected + 1)
        case .character("i"):
            guard group.isMember else {
                panel.error = "You are no longer in this group."
                return []
            }
            overlay = .pickFriends(FriendPicker(purpose: .invite(panel.group)))
        case .character("l"):
            guard group.isMember else {
                panel.error = "You are no longer in this group."
                return []
            }
            let handOver = owner && group.group.memberCount > 1 ? " You own it: o hands it over first." : ""
            overlay = .confirm(
                Confirmation(question: "Leave \(name)?\(handOver)", action: .leaveGroup(panel.group))
            )
        case .character("r"):
            if let notOwner {
                panel.error = notOwner + " rename the group."
                return []
            }
            panel.editing = .name
            panel.editor.setText(name)
        case .character("a"):
            if let notOwner {
                panel.error = notOwner + " set the announcement."
                return []
            }
            panel.editing = .announcement
            panel.editor.setText(group.group.announcement)
        case .character("d"), .delete:
            if let notOwner {
                panel.error = notOwner + " remove members."
                return []
            }
            guard let chosen else { return [] }
            guard chosen.user.id != me?.id else {
                panel.error = "That is you: l leaves the group."
                return []
            }
            overlay = .confirm(
                Confirmation(
                    question: "Remove \(memberName(chosen.user.id, in: panel.group)) from \(name)?",
                    action: .removeMember(chosen.user.id, panel: panel)
                )
            )
        case .character("o"):
            if let notOwner {
                panel.error = notOwner + " hand the group over."
                return []
            }
            guard let chosen, chosen.user.id != me?.id else {
                panel.error = "Choose the member to hand the group to (↑↓)."
                return []
            }
            overlay = .confirm(
                Confirmation(
                    question:
                        "Make \(memberName(chosen.user.id, in: panel.group)) the owner of \(name)? You stay a member.",
                    action: .transferOwnership(to: chosen.user.id, panel: panel)
                )
            )
        default: break
        }
        return []
    }

    /// Keys while the owner edits the group's name or announcement: Enter saves (checked here
    /// first for what the server would refuse anyway), the rest edit.
    mutating func groupFieldKey(_ key: Key, _ field: GroupInfoPanel.Field, _ panel: inout GroupInfoPanel) -> [Effect] {
        guard key == .enter else {
            _ = panel.editor.handle(key)
            panel.error = nil
            return []
        }
        guard !panel.busy else { return [] }
        let text = panel.editor.text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch field {
        case .name:
            if let problem = FriendPicker.nameProblem(text) {
                panel.error = problem
                return []
            }
            panel.busy = true
            return [.renameGroup(panel.group, to: text)]
        case .announcement:
            guard text.utf8.count <= ProtocolLimits.maxAnnouncementBytes else {
                panel.error = "The announcement is too long: at most \(ProtocolLimits.maxAnnouncementBytes) bytes."
                return []
            }
            panel.busy = true
            return [.setAnnouncement(panel.group, text)]
        }
    }

    // MARK: Friend picker

    /// The friends the picker offers, by name: all of them for a new group, those not in the
    /// group for an invitation; only those the filter matches.
    func pickerCandidates(_ picker: FriendPicker) -> [Friend] {
        guard let chat else { return [] }
        var inGroup: Set<UserID> = []
        if case .invite(let group) = picker.purpose { inGroup = Set(chat.groupMembers[group]?.map(\.user.id) ?? []) }
        let filter = picker.filter.text.lowercased()
        return chat.friends.values.filter { friend in
            !inGroup.contains(friend.user.id)
                && (filter.isEmpty || friend.displayName.lowercased().contains(filter)
                    || friend.user.username.lowercased().contains(filter))
        }
        .sorted { a, b in
            let byName = a.displayName.localizedCaseInsensitiveCompare(b.displayName)
            return byName == .orderedSame ? a.user.id < b.user.id : byName == .orderedAscending
        }
    }

    /// Keys in the picker. Choosing: typing filters, ↑↓ move, Space takes or drops, Enter goes
    /// on. Naming: the name's keys, Enter creates the group.
    mutating func friendPickerKey(_ key: Key, _ picker: inout FriendPicker) -> [Effect] {
        defer { if case .pickFriends = overlay { overlay = .pickFriends(picker) } }
        guard !picker.busy else { return [] }
        switch picker.step {
        case .friends:
            let candidates = pickerCandidates(picker)
            switch key {
            case .up: picker.selected = max(0, picker.selected - 1)
            case .down: picker.selected = min(max(0, candidates.count - 1), picker.selected + 1)
            case .character(" "):
                guard candidates.indices.contains(picker.selected) else { return [] }
                let friend = candidates[picker.selected].user.id
                if let index = picker.chosen.firstIndex(of: friend) {
                    picker.chosen.remove(at: index)
                } else {
                    picker.chosen.append(friend)
                }
                picker.error = nil
            case .enter:
                guard !picker.chosen.isEmpty else {
                    picker.error = "Choose someone first: Space takes the friend under the cursor."
                    return []
                }
                picker.error = nil
                switch picker.purpose {
                case .newGroup:
                    picker.step = .name
                case .invite(let group):
                    picker.busy = true
                    return [.invite(picker.chosen, to: group)]
                }
            default:
                let before = picker.filter.text
                _ = picker.filter.handle(key)
                if picker.filter.text != before { picker.selected = 0 }
            }
        case .name:
            guard key == .enter else {
                _ = picker.name.handle(key)
                picker.error = nil
                return []
            }
            if let problem = FriendPicker.nameProblem(picker.name.text) {
                picker.error = problem
                return []
            }
            picker.error = nil
            picker.busy = true
            let name = picker.name.text.trimmingCharacters(in: .whitespacesAndNewlines)
            return [.createGroup(name: name, members: picker.chosen)]
        }
        return []
    }

    /// Where Esc goes from a group's dialog: a step back (from the name to the friends, from an
    /// invitation or a confirmation to the group's panel, from a field to the panel), or nil
    /// to close.
    func groupOverlayAfterEscape(_ overlay: Overlay) -> Overlay? {
        switch overlay {
        case .pickFriends(var picker):
            if picker.step == .name {
                picker.step = .friends
                picker.error = nil
                picker.busy = false
                return .pickFriends(picker)
            }
            if case .invite(let group) = picker.purpose { return .groupInfo(GroupInfoPanel(group: group)) }
            return nil
        case .groupInfo(var panel) where panel.editing != nil:
            panel.editing = nil
            panel.error = nil
            panel.busy = false
            return .groupInfo(panel)
        case .confirm(let confirmation):
            switch confirmation.action {
            case .removeMember(_, let panel), .transferOwnership(_, let panel): return .groupInfo(panel)
            default: return nil
            }
        default:
            return nil
        }
    }

    // MARK: Answers

    /// The new group exists: the picker closes and the group opens, ready to write in. Refused,
    /// the picker says why and keeps what was chosen.
    mutating func groupCreated(_ result: Result<GroupID, ChatError>) -> [Effect] {
        var picker: FriendPicker?
        if case .pickFriends(let open) = overlay, open.purpose == .newGroup { picker = open }
        switch result {
        case .success(let group):
            if picker != nil { overlay = nil }
            let name = picker.map { $0.name.text.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "The group"
            showNotice("\(name) is ready. \(keyBindings.keyName(for: .groupInfo)) shows it.", .success)
            return openConversation(of: .group(group))
        case .failure(let error):
            guard var picker else {
                showNotice(error.message, .error, seconds: 8)
                return []
            }
            picker.busy = false
            picker.error = error.message
            overlay = .pickFriends(picker)
            return []
        }
    }

    /// A change to a group was answered: the panel (or the invitation's picker) that asked
    /// for it shows an error itself; otherwise the status bar says what happened.
    mutating func groupChanged(_ group: GroupID, _ result: Result<String, ChatError>) -> [Effect] {
        switch overlay {
        case .groupInfo(var panel) where panel.group == group:
            panel.busy = false
            switch result {
            case .success(let message):
                panel.editing = nil
                panel.error = nil
                showNotice(message, .success)
            case .failure(let error):
                panel.error = error.message
            }
            overlay = .groupInfo(panel)
        case .pickFriends(var picker) where picker.purpose == .invite(group):
            picker.busy = false
            switch result {
            case .success(let message):
                overlay = .groupInfo(GroupInfoPanel(group: group))
                showNotice(message, .success)
            case .failure(let error):
                picker.error = error.message
                overlay = .pickFriends(picker)
            }
        default:
            switch result {
            case .success(let message): showNotice(message, .success)
            case .failure(let error): showNotice(error.message, .error, seconds: 8)
            }
        }
        return []
    }
}
