import ChatClient

/// The open group's members beside the chat (Alt-M): presence, the name I know each by, the
/// owner marked ★, me marked; the owner first, then those online. Rows past the pane's height
/// are counted at its foot rather than scrolled, since nothing here takes the keyboard.
enum MemberPaneView {
    static func render(_ state: AppState, in rect: Rect, into canvas: inout Canvas) {
        let theme = state.theme
        guard let group = state.selectedConversation?.groupID else { return }
        let summary = state.chat?.groups[group]?.group
        let loaded = state.chat?.groupMembers[group]
        let members = state.members(of: group)
        let online = members.filter(\.online).count
        let title = loaded == nil ? "Members" : "Members \(online)/\(members.count)"
        Box.draw(&canvas, rect, title: title, style: theme[.border], titleStyle: theme[.title])
        let inner = rect.inset(1)
        guard loaded != nil else {
            canvas.put(" Loading…", x: inner.x, y: inner.y, style: theme[.hint], maxX: inner.maxX)
            return
        }
        if state.chat?.groups[group]?.isMember == false {
            canvas.put(" You left this group.", x: inner.x, y: inner.y, style: theme[.hint], maxX: inner.maxX)
            return
        }
        let shown = members.count > inner.height ? max(0, inner.height - 1) : members.count
        for (index, member) in members.prefix(shown).enumerated() {
            let y = inner.y + index
            let mark = member.online ? "●" : "○"
            canvas.put(" " + mark, x: inner.x, y: y, style: theme[member.online ? .online : .offline])
            var tail = ""
            if member.user.id == summary?.ownerID { tail = "★ " }
            let tailX =
                tail.isEmpty
                ? inner.maxX : Box.putRight(&canvas, tail, maxX: inner.maxX, y: y, style: theme[.highlight])
            let known =
                member.user.id == state.me?.id
                ? member.user.username + " (me)" : state.memberName(member.user.id, in: group)
            let name = EmojiDisplay.displayed(known, mode: state.emojiMode)
            canvas.put(name, x: inner.x + 3, y: y, style: theme[.base], maxX: tailX - 1)
        }
        if shown < members.count {
            canvas.put(
                " … and \(members.count - shown) more (\(state.keyBindings.keyName(for: .groupInfo)))",
                x: inner.x,
                y: inner.y + shown,
                style: theme[.hint],
                maxX: inner.maxX
            )
        }
    }
}
