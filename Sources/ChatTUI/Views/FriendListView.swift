import ChatClient

/// The friend list: presence, name (or remark), last message and its time, unread badge; the
/// most recent conversation first; requests waiting at the top.
enum FriendListView {
    static func render(_ state: AppState, in rect: Rect, into canvas: inout Canvas) {
        let theme = state.theme
        let focused = state.focus == .friends && state.overlay == nil
        let friends = state.visibleFriends
        var title = "Friends (\(state.chat?.friends.count ?? 0))"
        if let filter = state.friendFilter { title = "/\(filter.text)" }
        Box.draw(
            &canvas,
            rect,
            title: title,
            style: focused ? theme[.borderFocused] : theme[.border],
            titleStyle: theme[.title]
        )
        canvas.hitMap.add(rect, .friendList)
        if let filter = state.friendFilter, focused {
            canvas.cursor = (min(rect.maxX - 2, rect.x + 5 + DisplayWidth.of(filter.text)), rect.y)
        }
        let inner = rect.inset(1)
        var y = inner.y
        let incoming = state.chat?.incomingRequests.count ?? 0
        if incoming > 0 {
            canvas.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: theme[.highlight])
            canvas.put(" ✉ Requests (\(incoming))  ^R", x: inner.x, y: y, style: theme[.highlight], maxX: inner.maxX)
            y += 1
        }
        guard !friends.isEmpty else {
            let hint =
                state.chat?.friends.isEmpty == false
                ? "No friend matches." : "No friends yet.\n\(state.keyBindings.keyName(for: .findPeople)) finds people."
            for (index, line) in hint.split(separator: "\n").enumerated() {
                canvas.put(" " + line, x: inner.x, y: y + 1 + index, style: theme[.hint], maxX: inner.maxX)
            }
            return
        }
        // Two rows a friend when there is room, as WeChat shows them; one row on short screens.
        let rowsPerFriend = inner.height - (y - inner.y) >= friends.count * 2 || inner.height >= 14 ? 2 : 1
        let capacity = max(1, (inner.maxY - y) / rowsPerFriend)
        let selectedIndex = friends.firstIndex { $0.user.id == state.selectedPeer } ?? 0
        // The list scrolls just enough to keep the selected friend on screen.
        let firstVisible = max(0, selectedIndex - capacity + 1)
        for friend in friends.dropFirst(firstVisible).prefix(capacity) {
            let selected = friend.user.id == state.selectedPeer
            let row = Rect(x: inner.x, y: y, width: inner.width, height: rowsPerFriend)
            canvas.hitMap.add(row, .friend(friend.user.id))
            renderFriend(
                friend,
                state: state,
                selected: selected,
                x: inner.x,
                y: y,
                width: inner.width,
                rows: rowsPerFriend,
                into: &canvas
            )
            y += rowsPerFriend
        }
    }

    static func renderFriend(
        _ friend: Friend,
        state: AppState,
        selected: Bool,
        x: Int,
        y: Int,
        width: Int,
        rows: Int,
        into canvas: inout Canvas
    ) {
        let theme = state.theme
        let base = selected ? theme[.selection] : theme[.base]
        // A selected row is one colour pair, all but its badge: roles' own colours are chosen for
        // the list's background and can vanish on the selection's (ThemeContrastPair).
        func style(_ role: ThemeRole) -> TextStyle { selected ? theme.onSelectedRow(role) : theme[role] }
        canvas.fill(Rect(x: x, y: y, width: width, height: rows), style: base)
        let conversation = state.chat?.conversations[friend.user.id]
        let unread = conversation?.unread ?? 0
        let mark = friend.blockedByMe ? "⊘" : friend.online ? "●" : "○"
        canvas.put(" " + mark, x: x, y: y, style: style(friend.online ? .online : .offline))
        var right = ""
        if let last = conversation?.lastMessage { right = TimeFormat.short(ms: last.sentAtMs, now: state.now) }
        var badge = ""
        if unread > 0 { badge = unread > 99 ? " 99+ " : " \(unread) " }
        let maxX = x + width
        let rightX =
            right.isEmpty ? maxX : Box.putRight(&canvas, right + " ", maxX: maxX, y: y, style: style(.timestamp))
        // Bold means unread (whatever base says); a theme may make every selected name bold too.
        // Monochrome's selection is reverse alone, so without colour the four kinds of row differ.
        let nameStyle = base.with(bold: unread > 0 || (selected && base.bold))
        let name = EmojiDisplay.displayed(friend.displayName, mode: state.emojiMode)
        canvas.put(name, x: x + 3, y: y, style: nameStyle, maxX: rightX - 1)
        if rows == 2 {
            var preview = ""
            var isDraft = false
            if let draft = state.drafts[friend.user.id] {
                preview = "[Draft] " + TextWrapper.oneLine(draft)
                isDraft = true
            } else if let last = conversation?.lastMessage {
                let mine = last.senderID == state.me?.id
                preview = (mine ? "me: " : "") + TextWrapper.oneLine(last.text)
            } else if friend.remark.isEmpty == false {
                preview = friend.user.username
            }
            let badgeX =
                badge.isEmpty
                ? maxX : Box.putRight(&canvas, badge + " ", maxX: maxX, y: y + 1, style: theme[.unreadBadge])
            if !badge.isEmpty { canvas.put(" ", x: maxX - 1, y: y + 1, style: base) }
            let previewStyle = style(isDraft ? .error : .hint)  // red, as WeChat marks a draft
            canvas.put(
                DisplayWidth.truncate(
                    EmojiDisplay.displayed(preview, mode: state.emojiMode),
                    to: max(0, badgeX - x - 4)
                ),
                x: x + 3,
                y: y + 1,
                style: previewStyle,
                maxX: badgeX - 1
            )
        } else if !badge.isEmpty {
            Box.putRight(&canvas, badge, maxX: rightX - 1, y: y, style: theme[.unreadBadge])
        }
    }
}
