import ChatClient

extension AppState {
    /// Rows one wheel notch scrolls the conversation: a few, as elsewhere in a terminal (the page
    /// keys move a screenful).
    static let wheelRows = 3

    /// A press or a wheel turn, acting on what the last frame drew at its cell (`hitMap`).
    ///
    /// - A press on a conversation in the list opens it, as Enter in the list does (the input
    ///   takes the focus, so it is marked read).
    /// - A press on a message selects it: it is drawn highlighted, and newer messages arriving
    ///   while the pane is scrolled up no longer move it. A press on it again lets it go. With
    ///   the input empty, the selected message's keys act on it, as after ↑.
    /// - A press in the input gives it the focus.
    /// - The wheel over the friend list moves through the friends; anywhere else it scrolls the
    ///   conversation, older or newer, as the page keys do.
    ///
    /// Only on the main screen with no dialog open: a dialog has the keyboard, and what lies
    /// under it is not what the person is looking at.
    mutating func handleMouse(_ event: MouseEvent) -> [Effect] {
        guard screen == .main, overlay == nil else { return [] }
        let target = hitMap.target(atX: event.x, y: event.y)
        switch (event.kind, target) {
        case (.press, .conversation(let key)?):
            focus = .input
            friendFilter = nil
            return select(key)
        case (.press, .message(let id)?):
            guard let key = selectedConversation, var view = conversations[key] else { return [] }
            let alreadySelected = view.highlightedMessageID == id && (view.highlightQuery ?? "").isEmpty
            view.highlightedMessageID = alreadySelected ? nil : id
            view.highlightQuery = nil
            // The person picked what to look at: a search jump no longer pulls the pane elsewhere.
            view.revealSeq = nil
            conversations[key] = view
            // With nothing typed, the keys act on it as after ↑ (`r` replies…); with a draft they
            // stay the input's, so a word typed on does not become commands.
            selectingMessages = !alreadySelected && input.isEmpty && focus == .input
            if selectedMessage == nil { selectingMessages = false }
            return []
        case (.press, .input?):
            return perform(.backToInput)
        case (.press, _):
            return []
        case (.wheelUp, _), (.wheelDown, _):
            let up = event.kind == .wheelUp
            if let target, Self.isFriendList(target) { return moveSelection(by: up ? -1 : 1) }
            return scroll(by: up ? Self.wheelRows : -Self.wheelRows)
        }
    }

    private static func isFriendList(_ target: HitTarget) -> Bool {
        switch target {
        case .friendList, .conversation: return true
        case .chatPane, .message, .input: return false
        }
    }

    /// Keeps a selected message where it is on screen when newer messages arrive below it while
    /// the pane is scrolled up: the rows they add are added to the scroll offset. At the bottom
    /// the pane follows the newest message as always. Call with the conversation as it was
    /// before the arrival.
    mutating func keepSelectedMessageInPlace(in key: ConversationKey, before: ConversationView) {
        guard key == selectedConversation, before.scrollOffset > 0, let selected = before.highlightedMessageID,
            let view = conversations[key], view.messages.count > before.messages.count,
            let anchor = before.messages.first(where: { $0.id == selected }),
            let newest = view.messages.last, newest.seq > anchor.seq
        else { return }
        let added = ChatPaneView.lineCount(of: view, state: self) - ChatPaneView.lineCount(of: before, state: self)
        conversations[key]?.scrollOffset = before.scrollOffset + max(0, added)
    }
}
