import ChatClient
import ChatProtocol

/// The friend picker over the main screen: for a new group (friends, then a name) or for an
/// invitation into one. A chosen friend is `[x]`; what was chosen is listed under the list, so a
/// choice hidden by the filter is still seen.
enum FriendPickerView {
    static func render(_ picker: FriendPicker, state: AppState, into canvas: inout Canvas) {
        let title: String
        switch picker.purpose {
        case .newGroup: title = "New group"
        case .invite(let group): title = "Invite to \(state.displayName(of: .group(group)))"
        }
        let inner = OverlayView.panel(state, width: 64, height: 20, title: title, into: &canvas)
        switch picker.step {
        case .friends: friends(picker, in: inner, state: state, into: &canvas)
        case .name: name(picker, in: inner, state: state, into: &canvas)
        }
    }

    static func friends(_ picker: FriendPicker, in inner: Rect, state: AppState, into canvas: inout Canvas) {
        let theme = state.theme
        OverlayView.inputRow(
            picker.filter,
            label: "Find",
            y: inner.y,
            in: inner,
            placeholder: "type to filter",
            focused: true,
            state: state,
            into: &canvas
        )
        let candidates = state.pickerCandidates(picker)
        var y = inner.y + 2
        // Below the list: who is chosen, a problem if any, the keys.
        let listEnd = inner.maxY - 3
        if candidates.isEmpty {
            let none: String
            if !picker.filter.isEmpty {
                none = " No friend matches “\(picker.filter.text)”."
            } else if case .invite = picker.purpose {
                none = " Every friend is in the group already."
            } else {
                none = " No friends yet: \(state.keyBindings.keyName(for: .findPeople)) finds people."
            }
            canvas.put(none, x: inner.x, y: y, style: theme[.hint], maxX: inner.maxX)
        }
        let capacity = max(1, listEnd - y)
        let first = max(0, picker.selected - capacity + 1)
        for (index, friend) in candidates.enumerated().dropFirst(first).prefix(capacity) {
            let selected = index == picker.selected
            let style = selected ? theme[.selection] : theme[.dialog]
            canvas.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: style)
            let box = picker.chosen.contains(friend.user.id) ? "[x]" : "[ ]"
            var x = canvas.put(" \(box) ", x: inner.x, y: y, style: style)
            let presence = friend.online ? "●" : "○"
            x = canvas.put(presence, x: x, y: y, style: selected ? style : theme[friend.online ? .online : .offline])
            var label = " " + EmojiDisplay.displayed(friend.displayName, mode: state.emojiMode)
            if !friend.remark.isEmpty { label += " (\(friend.user.username))" }
            canvas.put(label, x: x, y: y, style: style, maxX: inner.maxX)
            y += 1
        }
        let names = picker.chosen.map { state.chat?.friends[$0]?.displayName ?? "#\($0)" }
        let chosen =
            names.isEmpty ? " Nobody chosen yet." : " Chosen (\(names.count)): " + names.joined(separator: ", ")
        canvas.put(
            DisplayWidth.truncate(EmojiDisplay.displayed(chosen, mode: state.emojiMode), to: inner.width),
            x: inner.x,
            y: inner.maxY - 3,
            style: names.isEmpty ? theme[.hint] : theme[.dialog],
            maxX: inner.maxX
        )
        status(picker, busy: "Inviting…", in: inner, state: state, into: &canvas)
        let next = picker.purpose == .newGroup ? "Enter next: the name" : "Enter invite"
        OverlayView.footer("↑↓ move · Space choose · \(next) · Esc cancel", in: inner, state: state, into: &canvas)
    }

    static func name(_ picker: FriendPicker, in inner: Rect, state: AppState, into canvas: inout Canvas) {
        let theme = state.theme
        let names = picker.chosen.map { state.chat?.friends[$0]?.displayName ?? "#\($0)" }
        let members = " You and " + names.joined(separator: ", ")
        for (index, line) in TextWrapper.wrap(members, width: inner.width - 1).prefix(3).enumerated() {
            canvas.put(
                EmojiDisplay.displayed(line, mode: state.emojiMode),
                x: inner.x,
                y: inner.y + index,
                style: theme[.dialog],
                maxX: inner.maxX
            )
        }
        OverlayView.inputRow(
            picker.name,
            label: "Group name",
            y: inner.y + 4,
            in: inner,
            placeholder: "e.g. Weekend hikers",
            focused: true,
            state: state,
            into: &canvas
        )
        let bytes = picker.name.text.trimmingCharacters(in: .whitespacesAndNewlines).utf8.count
        canvas.put(
            " \(bytes) of \(ProtocolLimits.maxGroupNameBytes) bytes",
            x: inner.x,
            y: inner.y + 5,
            style: bytes > ProtocolLimits.maxGroupNameBytes ? theme[.error] : theme[.hint],
            maxX: inner.maxX
        )
        status(picker, busy: "Creating the group…", in: inner, state: state, into: &canvas)
        OverlayView.footer("Enter create the group · Esc back to the friends", in: inner, state: state, into: &canvas)
    }

    /// The row above the footer: the problem (the server's, or with what was typed), or that
    /// the server is being asked.
    static func status(_ picker: FriendPicker, busy: String, in inner: Rect, state: AppState, into canvas: inout Canvas)
    {
        if let error = picker.error {
            canvas.put(" " + error, x: inner.x, y: inner.maxY - 2, style: state.theme[.error], maxX: inner.maxX)
        } else if picker.busy {
            canvas.put(" " + busy, x: inner.x, y: inner.maxY - 2, style: state.theme[.hint], maxX: inner.maxX)
        }
    }
}
