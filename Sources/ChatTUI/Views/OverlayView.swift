import ChatClient

/// Panels over the main screen: help, search, find people, requests, confirmations, remark, themes.
enum OverlayView {
    static func render(_ overlay: Overlay, state: AppState, into canvas: inout Canvas) {
        switch overlay {
        case .help: help(state, into: &canvas)
        case .search(let search): self.search(search, state: state, into: &canvas)
        case .findUser(let find): findUser(find, state: state, into: &canvas)
        case .requests(let panel): requests(panel, state: state, into: &canvas)
        case .confirm(let confirmation): confirm(confirmation, state: state, into: &canvas)
        case .remark(let editor): remark(editor, state: state, into: &canvas)
        case .themes(let picker): themes(picker, state: state, into: &canvas)
        case .pickFriends(let picker): FriendPickerView.render(picker, state: state, into: &canvas)
        case .groupInfo(let panel): GroupInfoView.render(panel, state: state, into: &canvas)
        }
    }

    static func panel(_ state: AppState, width: Int, height: Int, title: String, into canvas: inout Canvas) -> Rect {
        let rect = state.bounds.centered(width: min(width, state.width - 4), height: min(height, state.height - 2))
        Box.draw(
            &canvas,
            rect,
            title: title,
            style: state.theme[.borderFocused],
            titleStyle: state.theme[.title],
            fill: state.theme[.dialog]
        )
        return rect.inset(1)
    }

    static func footer(_ text: String, in inner: Rect, state: AppState, into canvas: inout Canvas) {
        canvas.put(
            " " + DisplayWidth.truncate(text, to: inner.width - 2),
            x: inner.x,
            y: inner.maxY - 1,
            style: state.theme[.hint]
        )
    }

    /// Help: every binding of the effective table (config's `[keys]` applied) with the name
    /// config knows its action by, in one column that scrolls, so nothing is cut at any size
    /// (80×24 shows about a third at a time). `HelpRow` lays it out.
    static func help(_ state: AppState, into canvas: inout Canvas) {
        let theme = state.theme
        let rows = helpRows(state)
        let inner = panel(state, width: HelpRow.panelWidth, height: rows.count + 4, title: "Keys", into: &canvas)
        let visible = helpVisibleRows(state)
        let top = min(state.helpScroll, max(0, rows.count - visible))
        let keyWidth = HelpRow.keyWidth(state)
        for (offset, row) in rows.dropFirst(top).prefix(visible).enumerated() {
            let y = inner.y + offset
            switch row {
            case .blank:
                break
            case .title(let title):
                canvas.put(title, x: inner.x + 1, y: y, style: theme[.title], maxX: inner.maxX)
            case .binding(let keys, let action, let name):
                canvas.put(keys, x: inner.x + 2, y: y, style: theme[.highlight], maxX: inner.x + 1 + keyWidth)
                canvas.put(action, x: inner.x + 2 + keyWidth, y: y, style: theme[.dialog], maxX: inner.maxX - 1)
                if !name.isEmpty { Box.putRight(&canvas, name, maxX: inner.maxX - 1, y: y, style: theme[.hint]) }
            }
        }
        let footerText =
            rows.count > visible
            ? "↑↓ PgUp PgDn scroll · lines \(top + 1)–\(min(rows.count, top + visible)) of \(rows.count) · Esc closes"
            : "Esc (or any key) closes this help"
        footer(footerText, in: inner, state: state, into: &canvas)
    }

    /// Help's rows as drawn at this size (what help scrolls through).
    static func helpRows(_ state: AppState) -> [HelpRow] {
        HelpRow.layout(state)
    }

    /// How many help rows fit: the panel's inside less the footer and the line above it.
    static func helpVisibleRows(_ state: AppState) -> Int {
        let panelHeight = min(helpRows(state).count + 4, state.height - 2)
        return max(1, panelHeight - 4)
    }

    static func inputRow(
        _ editor: LineEditor,
        label: String,
        y: Int,
        in inner: Rect,
        placeholder: String?,
        focused: Bool,
        state: AppState,
        into canvas: inout Canvas
    ) {
        canvas.put(label, x: inner.x + 1, y: y, style: state.theme[.title])
        let x = inner.x + 2 + DisplayWidth.of(label)
        let rect = Rect(x: x, y: y, width: inner.maxX - 1 - x, height: 1)
        canvas.fill(rect, style: state.theme[.input])
        let caret = canvas.cursor
        editor.render(
            into: &canvas,
            rect: rect,
            style: state.theme[.input],
            placeholder: placeholder,
            placeholderStyle: state.theme[.placeholder]
        )
        if !focused { canvas.cursor = caret }
    }

    static func search(_ search: MessageSearch, state: AppState, into canvas: inout Canvas) {
        let title = search.conversation.map { "Search messages with \(state.displayName(of: $0))" } ?? "Search messages"
        let inner = panel(state, width: 90, height: state.height - 4, title: title, into: &canvas)
        let theme = state.theme
        inputRow(
            search.query,
            label: "Find",
            y: inner.y,
            in: inner,
            placeholder: search.conversation == nil ? "words in any conversation" : "words in this conversation",
            focused: true,
            state: state,
            into: &canvas
        )
        var y = inner.y + 2
        if search.searched && search.results.isEmpty {
            canvas.put(
                " No message\(search.conversation == nil ? "" : " here") contains “\(search.query.text)”.",
                x: inner.x,
                y: y,
                style: theme[.hint],
                maxX: inner.maxX
            )
        }
        let capacity = max(0, inner.maxY - 1 - y)
        let first = max(0, search.selected - capacity + 1)
        for (index, message) in search.results.enumerated().dropFirst(first).prefix(capacity) {
            let selected = index == search.selected
            let style = selected ? theme[.selection] : theme[.dialog]
            canvas.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: style)
            let who: String
            if message.groupID != 0 {
                // In a group: who wrote it, and where.
                let sender = state.memberName(message.senderID, in: message.groupID)
                who = "\(sender) in \(state.displayName(of: .group(message.groupID)))"
            } else {
                let peer = state.me.map { message.peer(of: $0.id) } ?? message.senderID
                who = message.senderID == state.me?.id ? "me → \(name(peer, state))" : name(message.senderID, state)
            }
            var x = canvas.put(
                " " + TimeFormat.day(ms: message.sentAtMs) + " " + TimeFormat.clock(ms: message.sentAtMs) + " ",
                x: inner.x,
                y: y,
                style: selected ? style : theme[.timestamp]
            )
            x = canvas.put(DisplayWidth.truncate(who, to: 16) + "  ", x: x, y: y, style: style.with(bold: true))
            for segment in ChatPaneView.highlightSegments(
                TextWrapper.oneLine(message.text),
                query: search.query.text
            ) {
                var segmentStyle = segment.highlighted ? theme[.highlight].with(reverse: true) : style
                if !segment.highlighted { segmentStyle.background = style.background }
                x = canvas.put(segment.text, x: x, y: y, style: segmentStyle, maxX: inner.maxX - 1)
            }
            y += 1
        }
        footer(
            (search.more
                ? "\(search.total) found, newest \(search.results.count) shown" : "\(search.results.count) found")
                + " · ↑↓ choose · Enter show in conversation · Esc close",
            in: inner,
            state: state,
            into: &canvas
        )
    }

    static func name(_ user: UserID, _ state: AppState) -> String {
        state.chat?.friends[user]?.displayName ?? "#\(user)"
    }

    static func findUser(_ find: FindUser, state: AppState, into canvas: inout Canvas) {
        let inner = panel(state, width: 70, height: 18, title: "Find people", into: &canvas)
        let theme = state.theme
        switch find.step {
        case .query:
            inputRow(
                find.query,
                label: "Username or email",
                y: inner.y,
                in: inner,
                placeholder: "e.g. bob or bob@example.com",
                focused: true,
                state: state,
                into: &canvas
            )
            var y = inner.y + 2
            if find.busy {
                canvas.put(" Searching…", x: inner.x, y: y, style: theme[.hint])
            } else if find.searched && find.results.isEmpty {
                canvas.put(
                    " Nobody found by “\(find.query.text)”.",
                    x: inner.x,
                    y: y,
                    style: theme[.hint],
                    maxX: inner.maxX
                )
                if find.query.text.contains("@") {
                    canvas.put(
                        " An email finds only people who allow it.",
                        x: inner.x,
                        y: y + 1,
                        style: theme[.hint],
                        maxX: inner.maxX
                    )
                }
            }
            for (index, user) in find.results.enumerated().prefix(max(0, inner.maxY - 2 - y)) {
                let style = index == find.selected ? theme[.selection] : theme[.dialog]
                canvas.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: style)
                let already = state.chat?.friends[user.id] != nil ? "  (friend)" : ""
                canvas.put(" " + user.username + already, x: inner.x, y: y, style: style, maxX: inner.maxX)
                y += 1
            }
            let findable = state.chat?.findableByEmail == true
            canvas.put(
                " Others can find you by your email: \(findable ? "on" : "off") · Alt-E to turn it \(findable ? "off" : "on")",
                x: inner.x,
                y: inner.maxY - 2,
                style: theme[.hint],
                maxX: inner.maxX
            )
            footer(
                find.searched ? "↑↓ choose · Enter add as friend · Esc close" : "Enter search · Esc close",
                in: inner,
                state: state,
                into: &canvas
            )
        case .greeting(let user):
            canvas.put(
                " Send \(user.username) a friend request with a greeting:",
                x: inner.x,
                y: inner.y,
                style: theme[.dialog],
                maxX: inner.maxX
            )
            inputRow(
                find.greeting,
                label: "Greeting",
                y: inner.y + 2,
                in: inner,
                placeholder: nil,
                focused: true,
                state: state,
                into: &canvas
            )
            footer("Enter send request · Esc cancel", in: inner, state: state, into: &canvas)
        }
    }

    static func requests(_ panel: RequestsPanel, state: AppState, into canvas: inout Canvas) {
        let inner = self.panel(state, width: 76, height: 20, title: "Friend requests", into: &canvas)
        let theme = state.theme
        let rows = state.requestRows
        var y = inner.y
        if rows.isEmpty {
            canvas.put(
                " No requests. \(state.keyBindings.keyName(for: .findPeople)) finds people to add.",
                x: inner.x,
                y: y + 1,
                style: theme[.hint]
            )
        }
        var shownIncoming = false
        var shownOutgoing = false
        for (index, row) in rows.enumerated() where y < inner.maxY - 2 {
            if row.incoming && !shownIncoming {
                canvas.put("Incoming", x: inner.x + 1, y: y, style: theme[.title])
                y += 1
                shownIncoming = true
            }
            if !row.incoming && !shownOutgoing {
                if shownIncoming { y += 1 }
                canvas.put("Sent by you", x: inner.x + 1, y: y, style: theme[.title])
                y += 1
                shownOutgoing = true
            }
            let selected = index == panel.selected
            let style = selected ? theme[.selection] : theme[.dialog]
            canvas.fill(Rect(x: inner.x, y: y, width: inner.width, height: 1), style: style)
            let request = row.0
            let who = row.incoming ? request.from.username : request.to.username
            let greeting = request.message.isEmpty ? "" : "  “\(request.message)”"
            let tail = row.incoming ? "a accept · r reject " : "waiting · c cancel "
            let tailX = Box.putRight(&canvas, tail, maxX: inner.maxX, y: y, style: selected ? style : theme[.hint])
            canvas.put(" " + who + greeting, x: inner.x, y: y, style: style, maxX: tailX - 1)
            y += 1
        }
        footer("↑↓ choose · a accept · r reject · c cancel yours · Esc close", in: inner, state: state, into: &canvas)
    }

    static func confirm(_ confirmation: Confirmation, state: AppState, into canvas: inout Canvas) {
        let width = min(state.width - 4, max(40, DisplayWidth.of(confirmation.question) + 6))
        let inner = panel(state, width: width, height: 6, title: "Please confirm", into: &canvas)
        canvas.put(
            " " + confirmation.question,
            x: inner.x,
            y: inner.y + 1,
            style: state.theme[.dialog],
            maxX: inner.maxX
        )
        footer("y yes · any other key no", in: inner, state: state, into: &canvas)
    }

    static func remark(_ editor: RemarkEditor, state: AppState, into canvas: inout Canvas) {
        let inner = panel(state, width: 60, height: 7, title: "Remark for \(name(editor.friend, state))", into: &canvas)
        inputRow(
            editor.remark,
            label: "Remark",
            y: inner.y + 1,
            in: inner,
            placeholder: "a name only you see",
            focused: true,
            state: state,
            into: &canvas
        )
        footer("Enter save (empty clears) · Esc cancel", in: inner, state: state, into: &canvas)
    }

    static func themes(_ picker: ThemePicker, state: AppState, into canvas: inout Canvas) {
        let inner = panel(state, width: 40, height: state.themeNames.count + 4, title: "Theme", into: &canvas)
        for (index, name) in state.themeNames.enumerated() where inner.y + index < inner.maxY - 1 {
            let selected = index == picker.selected
            let style = selected ? state.theme[.selection] : state.theme[.dialog]
            canvas.fill(Rect(x: inner.x, y: inner.y + index, width: inner.width, height: 1), style: style)
            canvas.put(" " + name, x: inner.x, y: inner.y + index, style: style)
        }
        footer("↑↓ preview · Enter keep · Esc close", in: inner, state: state, into: &canvas)
    }
}
