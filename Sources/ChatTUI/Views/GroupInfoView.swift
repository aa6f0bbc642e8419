import ChatClient

/// A group's panel (Alt-I): name, owner, announcement, the members to act on, and the keys for
/// what I may do: everyone's on the footer, the owner's on the row above it.
enum GroupInfoView {
    /// Columns the labels take ("Announcement" and a gap).
    static let labelWidth = 14

    static func render(_ panel: GroupInfoPanel, state: AppState, into canvas: inout Canvas) {
        let theme = state.theme
        let group = state.chat?.groups[panel.group]
        let name = group?.group.name ?? state.displayName(of: .group(panel.group))
        let inner = OverlayView.panel(state, width: 76, height: state.height - 2, title: "# " + name, into: &canvas)
        guard let group else {
            canvas.put(" This group is not known here yet.", x: inner.x, y: inner.y, style: theme[.hint])
            OverlayView.footer("Esc close", in: inner, state: state, into: &canvas)
            return
        }
        var y = inner.y
        if panel.editing == .name {
            editor(panel, label: "New name", y: y, in: inner, state: state, into: &canvas)
        } else {
            field(
                "Name",
                EmojiDisplay.displayed(name, mode: state.emojiMode),
                y: y,
                in: inner,
                state: state,
                into: &canvas
            )
        }
        y += 1
        field(
            "Owner",
            EmojiDisplay.displayed(
                label(of: group.group.ownerID, in: panel.group, state: state),
                mode: state.emojiMode
            ),
            y: y,
            in: inner,
            state: state,
            into: &canvas
        )
        y += 1
        if panel.editing == .announcement {
            editor(panel, label: "Announcement", y: y, in: inner, state: state, into: &canvas)
            y += 1
        } else {
            let text = group.group.announcement.isEmpty ? "(none)" : group.group.announcement
            let width = max(8, inner.width - labelWidth - 2)
            let lines = TextWrapper.wrap(EmojiDisplay.displayed(text, mode: state.emojiMode), width: width)
            for (index, line) in lines.prefix(3).enumerated() {
                field(index == 0 ? "Announcement" : "", line, y: y, in: inner, state: state, into: &canvas)
                y += 1
            }
        }
        y += 1
        let owner = group.group.ownerID == state.me?.id
        if group.isMember {
            members(panel, in: inner, from: y, state: state, into: &canvas)
        } else {
            canvas.put(
                " You are no longer in this group: its history stays, writing does not.",
                x: inner.x,
                y: y,
                style: theme[.hint],
                maxX: inner.maxX
            )
        }
        if let error = panel.error {
            canvas.put(" " + error, x: inner.x, y: inner.maxY - 3, style: theme[.error], maxX: inner.maxX)
        } else if panel.busy {
            canvas.put(" Asking the server…", x: inner.x, y: inner.maxY - 3, style: theme[.hint], maxX: inner.maxX)
        }
        let footer: String
        if panel.editing != nil {
            footer = "Enter save · Esc cancel"
        } else if !group.isMember {
            footer = "Esc close"
        } else {
            if owner {
                canvas.put(
                    " r rename · a announcement · d remove · o make owner",
                    x: inner.x,
                    y: inner.maxY - 2,
                    style: theme[.hint],
                    maxX: inner.maxX
                )
            }
            footer = "↑↓ choose · i invite · l leave · Esc close"
        }
        OverlayView.footer(footer, in: inner, state: state, into: &canvas)
    }

    /// The member list, from row `top` to the rows the panel keeps for its keys: the row under
    /// the cursor selected, the owner ★.
    static func members(
        _ panel: GroupInfoPanel,
        in inner: Rect,
        from top: Int,
        state: AppState,
        into canvas: inout Canvas
    ) {
        let theme = state.theme
        let list = state.members(of: panel.group)
        let loaded = state.chat?.groupMembers[panel.group] != nil
        let count = state.chat?.groups[panel.group]?.group.memberCount ?? list.count
        canvas.put("Members (\(count))", x: inner.x + 1, y: top, style: theme[.title])
        var y = top + 1
        guard loaded else {
            canvas.put(" Loading…", x: inner.x, y: y, style: theme[.hint])
            return
        }
        let capacity = max(1, inner.maxY - 3 - y)
        let first = max(0, panel.selected - capacity + 1)
        let ownerID = state.chat?.groups[panel.group]?.group.ownerID
        for (index, member) in list.enumerated().dropFirst(first).prefix(capacity) {
            let selected = index == panel.selected && panel.editing == nil
            let style = selected ? theme[.selection] : theme[.dialog]
            canvas.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: style)
            var x = canvas.put(" ", x: inner.x, y: y, style: style)
            x = canvas.put(
                member.online ? "●" : "○",
                x: x,
                y: y,
                style: selected ? style : theme[member.online ? .online : .offline]
            )
            var label = " " + self.label(of: member.user.id, in: panel.group, state: state)
            if let friend = state.chat?.friends[member.user.id], !friend.remark.isEmpty {
                label += " (\(friend.user.username))"
            }
            let tail = member.user.id == ownerID ? "★ owner " : ""
            let tailX =
                tail.isEmpty
                ? inner.maxX
                : Box.putRight(&canvas, tail, maxX: inner.maxX, y: y, style: selected ? style : theme[.highlight])
            canvas.put(EmojiDisplay.displayed(label, mode: state.emojiMode), x: x, y: y, style: style, maxX: tailX - 1)
            y += 1
        }
    }

    /// A member as the panel names them: me by my username, marked; others as I know them.
    static func label(of user: UserID, in group: GroupID, state: AppState) -> String {
        guard let me = state.me, user == me.id else { return state.memberName(user, in: group) }
        return me.username + " (me)"
    }

    static func field(
        _ label: String,
        _ value: String,
        y: Int,
        in inner: Rect,
        state: AppState,
        into canvas: inout Canvas
    ) {
        if !label.isEmpty { canvas.put(label, x: inner.x + 1, y: y, style: state.theme[.title]) }
        canvas.put(value, x: inner.x + 1 + labelWidth, y: y, style: state.theme[.dialog], maxX: inner.maxX - 1)
    }

    static func editor(
        _ panel: GroupInfoPanel,
        label: String,
        y: Int,
        in inner: Rect,
        state: AppState,
        into canvas: inout Canvas
    ) {
        OverlayView.inputRow(
            panel.editor,
            label: label,
            y: y,
            in: inner,
            placeholder: panel.editing == .announcement ? "empty clears it" : nil,
            focused: true,
            state: state,
            into: &canvas
        )
    }
}
