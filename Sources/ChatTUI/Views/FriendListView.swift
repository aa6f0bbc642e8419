import ChatClient
import ChatProtocol

/// The conversation list: friends and groups together, the most recent conversation first,
/// requests waiting at the top. A friend's row has presence, name (or remark), last message and
/// its time, unread badge; a group's has `#`, its name and member count, the last message with
/// its sender, an `@` when an unread message names me. A muted conversation's count is quiet; a
/// group I left is drawn quiet and says so.
enum FriendListView {
    static func render(_ state: AppState, in rect: Rect, into canvas: inout Canvas) {
        let theme = state.theme
        let focused = state.focus == .friends && state.overlay == nil
        let entries = state.visibleConversations
        let friendCount = state.chat?.friends.count ?? 0
        let groupCount = state.chat?.groups.count ?? 0
        var title = groupCount == 0 ? "Friends (\(friendCount))" : "Chats (\(friendCount + groupCount))"
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
        guard !entries.isEmpty else {
            let hint =
                friendCount + groupCount > 0
                ? "No conversation matches."
                : "No friends yet.\n\(state.keyBindings.keyName(for: .findPeople)) finds people."
            for (index, line) in hint.split(separator: "\n").enumerated() {
                canvas.put(" " + line, x: inner.x, y: y + 1 + index, style: theme[.hint], maxX: inner.maxX)
            }
            return
        }
        // Two rows a conversation when there is room, as WeChat shows them; one on short screens.
        let rowsPerEntry = inner.height - (y - inner.y) >= entries.count * 2 || inner.height >= 14 ? 2 : 1
        let capacity = max(1, (inner.maxY - y) / rowsPerEntry)
        let selectedIndex = entries.firstIndex { $0.key == state.selectedConversation } ?? 0
        // The list scrolls just enough to keep the selected conversation on screen.
        let firstVisible = max(0, selectedIndex - capacity + 1)
        for entry in entries.dropFirst(firstVisible).prefix(capacity) {
            let row = Rect(x: inner.x, y: y, width: inner.width, height: rowsPerEntry)
            canvas.hitMap.add(row, .conversation(entry.key))
            renderEntry(entry, state: state, selected: entry.key == state.selectedConversation, row: row, into: &canvas)
            y += rowsPerEntry
        }
    }

    static func renderEntry(
        _ entry: ConversationEntry,
        state: AppState,
        selected: Bool,
        row: Rect,
        into canvas: inout Canvas
    ) {
        let theme = state.theme
        let (x, y, width) = (row.x, row.y, row.width)
        let base = selected ? theme[.selection] : theme[.base]
        // A selected row is one colour pair, all but its badge: roles' own colours are chosen for
        // the list's background and can vanish on the selection's (ThemeContrastPair).
        func style(_ role: ThemeRole) -> TextStyle { selected ? theme.onSelectedRow(role) : theme[role] }
        canvas.fill(row, style: base)
        let unread = entry.unread
        var left = false
        switch entry {
        case .friend(let friend, _):
            let mark = friend.blockedByMe ? "⊘" : friend.online ? "●" : "○"
            canvas.put(" " + mark, x: x, y: y, style: style(friend.online ? .online : .offline))
        case .group(let group):
            left = !group.isMember
            canvas.put(" #", x: x, y: y, style: style(.hint))
        }
        var right = ""
        if let last = entry.lastMessage { right = TimeFormat.short(ms: last.sentAtMs, now: state.now) }
        let maxX = x + width
        let rightX =
            right.isEmpty ? maxX : Box.putRight(&canvas, right + " ", maxX: maxX, y: y, style: style(.timestamp))
        // Bold means unread (whatever base says); a theme may make every selected name bold too.
        // Monochrome's selection is reverse alone, so without colour the four kinds of row differ.
        // A group I left is quiet, whatever is unread in it.
        let nameStyle = left ? style(.hint) : base.with(bold: unread > 0 || (selected && base.bold))
        let name = EmojiDisplay.displayed(entry.name, mode: state.emojiMode)
        var suffix = ""
        if case .group(let group) = entry, !left { suffix = " (\(group.group.memberCount))" }
        // The member count stays whole: the name gives way to it, with an ellipsis to say so.
        let nameMaxX = rightX - 1 - DisplayWidth.of(suffix)
        let nameEnd = canvas.put(
            DisplayWidth.truncate(name, to: max(0, nameMaxX - (x + 3))),
            x: x + 3,
            y: y,
            style: nameStyle,
            maxX: nameMaxX
        )
        if !suffix.isEmpty { canvas.put(suffix, x: nameEnd, y: y, style: style(.hint), maxX: rightX - 1) }
        // On two rows the badges sit under the time, a blank cell after them; on one, before it.
        let twoRows = row.height == 2
        let badgeX =
            drawBadges(
                entry,
                state: state,
                selected: selected,
                maxX: twoRows ? maxX - 1 : rightX - 1,
                y: twoRows ? y + 1 : y,
                into: &canvas
            ) ?? maxX
        guard twoRows else { return }
        var preview = ""
        var isDraft = false
        if let draft = state.drafts[entry.key] {
            preview = "[Draft] " + TextWrapper.oneLine(draft)
            isDraft = true
        } else if let last = entry.lastMessage {
            preview = self.preview(of: last, in: entry, state: state)
        } else if case .friend(let friend, _) = entry, !friend.remark.isEmpty {
            preview = friend.user.username
        }
        // Where its member count was: a group I left says so before its last message.
        if left, !isDraft { preview = "(left) " + preview }
        let previewStyle = style(isDraft ? .error : .hint)  // red, as WeChat marks a draft
        canvas.put(
            DisplayWidth.truncate(EmojiDisplay.displayed(preview, mode: state.emojiMode), to: max(0, badgeX - x - 4)),
            x: x + 3,
            y: y + 1,
            style: previewStyle,
            maxX: badgeX - 1
        )
    }

    /// The unread count, right-aligned to end before `maxX`, and an `@` before it when an unread
    /// message names me. A muted conversation's count is drawn as a hint, not a badge; the `@` is
    /// a badge always, as a mention rings even when muted. Returns where the badges start; nil
    /// when there are none.
    static func drawBadges(
        _ entry: ConversationEntry,
        state: AppState,
        selected: Bool,
        maxX: Int,
        y: Int,
        into canvas: inout Canvas
    ) -> Int? {
        let theme = state.theme
        let unread = entry.unread
        guard unread > 0 || entry.mentioned else { return nil }
        var x = maxX
        if unread > 0 {
            let count = unread > 99 ? " 99+ " : " \(unread) "
            let quiet = selected ? theme.onSelectedRow(.hint) : theme[.hint]
            x = Box.putRight(&canvas, count, maxX: x, y: y, style: entry.muted ? quiet : theme[.unreadBadge])
        }
        if entry.mentioned { x = Box.putRight(&canvas, " @ ", maxX: x, y: y, style: theme[.unreadBadge]) }
        return x
    }

    /// A last message as the list previews it: "You: …" for mine; in a group the sender's name
    /// before the text, and a group's own lines (someone joined) as they are.
    static func preview(of message: ChatMessage, in entry: ConversationEntry, state: AppState) -> String {
        let mine = message.senderID == state.me?.id
        // A recall line, or the original it withdrew: the line the chat pane shows in its place.
        let recalled = message.recalled || message.kind == .recall
        guard case .group(let group) = entry else {
            if recalled { return "\(mine ? "You" : state.memberName(message.senderID, in: nil)) recalled a message" }
            return (mine ? "You: " : "") + TextWrapper.oneLine(message.text)
        }
        let sender = mine ? "You" : state.memberName(message.senderID, in: group.group.id)
        if recalled { return "\(sender) recalled a message" }
        if message.kind != .text { return TextWrapper.oneLine(message.text) }
        return "\(sender): " + TextWrapper.oneLine(message.text)
    }
}
