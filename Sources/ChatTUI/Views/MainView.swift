import ChatClient

/// The main screen: friends on the left, the conversation and the input on the right, the
/// status bar at the bottom.
enum MainView {
    struct Layout {
        var friends: Rect
        var chat: Rect
        var input: Rect
        var status: Rect
        /// The open group's members, at the right from top to status bar, while the pane is on
        /// and the chat keeps `minimumChatWidth` beside it.
        var members: Rect?
    }

    /// The narrowest the chat and input may get for the member pane to show beside them.
    static let minimumChatWidth = 36

    static func layout(_ state: AppState) -> Layout {
        let (body, status) = state.bounds.splitBottom(1)
        let friendsWidth = min(34, max(22, state.width / 4))
        let (friends, rest) = body.splitLeft(friendsWidth)
        var right = rest
        var members: Rect?
        let membersWidth = min(28, max(20, state.width / 5))
        if state.memberPaneOpen, state.selectedConversation?.isGroup == true,
            rest.width - membersWidth >= minimumChatWidth
        {
            let split = rest.splitLeft(rest.width - membersWidth)
            right = split.left
            members = split.rest
        }
        let inputLines = min(5, max(1, state.input.layout(width: max(1, right.width - 4)).lines.count))
        // A reply's quote takes a row of the input box, above the text.
        let quoteRows = state.activeReply == nil ? 0 : 1
        let (chat, input) = right.splitBottom(inputLines + 2 + quoteRows)
        return Layout(friends: friends, chat: chat, input: input, status: status, members: members)
    }

    static func render(_ state: AppState, into canvas: inout Canvas) {
        let layout = layout(state)
        FriendListView.render(state, in: layout.friends, into: &canvas)
        ChatPaneView.render(state, in: layout.chat, into: &canvas)
        InputView.render(state, in: layout.input, into: &canvas)
        canvas.hitMap.add(layout.input, .input)
        if let members = layout.members { MemberPaneView.render(state, in: members, into: &canvas) }
        StatusBarView.render(state, in: layout.status, into: &canvas)
    }
}

extension AppState {
    var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }
}

enum InputView {
    static func render(_ state: AppState, in rect: Rect, into canvas: inout Canvas) {
        let theme = state.theme
        // While a message is selected the keys are the chat pane's, whose border lights up instead.
        let focused = state.focus == .input && state.overlay == nil && !state.isSelectingMessage
        let name = state.selectedFriend?.displayName ?? state.selectedGroup.map { "# " + $0.group.name }
        Box.draw(
            &canvas,
            rect,
            title: name.map { "Message \($0)" } ?? "Message",
            style: focused ? theme[.borderFocused] : theme[.border],
            titleStyle: theme[.title]
        )
        var inner = Rect(x: rect.x + 2, y: rect.y + 1, width: rect.width - 4, height: rect.height - 2)
        if let reply = state.activeReply {
            let row = Rect(x: inner.x, y: inner.y, width: inner.width, height: 1)
            renderReply(reply, state: state, in: row, into: &canvas)
            inner = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
        }
        let placeholder: String
        if state.selectedConversation == nil {
            placeholder = "Add a friend first: \(state.keyBindings.keyName(for: .findPeople))"
        } else if state.selectedGroup?.isMember == false {
            placeholder = "You are no longer in this group: its history stays, writing does not"
        } else if state.selectedFriend?.blockedByMe == true {
            placeholder = "You blocked this friend (Alt-B in the friend list to unblock)"
        } else {
            let help = state.keyBindings.keyName(for: .help)
            placeholder = "Type a message — Enter sends, Alt-Enter new line, \(help) help"
        }
        let caret = canvas.cursor
        state.input.render(
            into: &canvas,
            rect: inner,
            style: theme[.input],
            placeholder: placeholder,
            placeholderStyle: theme[.placeholder]
        )
        if !focused { canvas.cursor = caret }
    }

    /// "Replying to alice: excerpt · Esc cancels", on the row above the text.
    static func renderReply(_ reply: ReplyDraft, state: AppState, in rect: Rect, into canvas: inout Canvas) {
        let name =
            reply.senderID == state.me?.id
            ? "yourself" : state.memberName(reply.senderID, in: reply.conversation.groupID)
        let cancel = " · \(state.keyBindings.keyName(for: .cancelReply)) cancels"
        let quote = "Replying to \(name): " + TextWrapper.oneLine(reply.excerpt)
        let text = DisplayWidth.truncate(
            EmojiDisplay.displayed(quote, mode: state.emojiMode),
            to: max(0, rect.width - DisplayWidth.of(cancel))
        )
        canvas.put(text + cancel, x: rect.x, y: rect.y, style: state.theme[.hint], maxX: rect.maxX)
    }
}

enum StatusBarView {
    static func render(_ state: AppState, in rect: Rect, into canvas: inout Canvas) {
        let theme = state.theme
        canvas.fill(rect, style: theme[.statusBar])
        var x = rect.x + 1
        let who = "\(state.me?.username ?? "?")@\(hostPort(state.serverURL))"
        x = canvas.put(who, x: x, y: rect.y, style: theme[.statusBar].with(bold: true)) + 1
        let (text, role) = connectionText(state)
        x = canvas.put(text, x: x, y: rect.y, style: theme[role]) + 2
        var right = "\(state.keyBindings.keyName(for: .help)) help"
        let unread = state.chat?.totalUnread ?? 0
        if unread > 0 { right = "\(unread) unread · " + right }
        if let pending = state.chat?.outbox.count, pending > 0 { right = "\(pending) to send · " + right }
        let rightX = Box.putRight(&canvas, right + " ", maxX: rect.maxX, y: rect.y, style: theme[.statusBar])
        if let notice = state.notice {
            let role: ThemeRole = notice.kind == .error ? .error : notice.kind == .success ? .success : .highlight
            canvas.put(
                DisplayWidth.truncate(notice.text, to: max(0, rightX - x - 1)),
                x: x,
                y: rect.y,
                style: theme[role],
                maxX: rightX - 1
            )
        }
    }

    static func connectionText(_ state: AppState) -> (String, ThemeRole) {
        switch state.chat?.connection ?? .offline {
        case .connected: return ("● connected", .statusConnected)
        case .connecting: return ("◌ connecting…", .statusOffline)
        case .offline: return ("○ offline", .statusOffline)
        case .reconnecting(let at, _):
            // The wait before the next attempt: the countdown, not "connecting…", which is only
            // while an attempt runs. Its time up, the attempt is starting.
            let seconds = Int(at.timeIntervalSince(state.now).rounded(.up))
            guard seconds > 0 else { return ("◌ connecting…", .statusOffline) }
            return ("○ offline — retrying in \(seconds) s", .statusOffline)
        case .signedOut: return ("○ signed out", .statusOffline)
        }
    }

    static func hostPort(_ url: String) -> String {
        var text = url
        for prefix in ["http://", "https://"] where text.hasPrefix(prefix) { text.removeFirst(prefix.count) }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }
}
