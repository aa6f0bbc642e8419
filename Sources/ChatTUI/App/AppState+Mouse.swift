import ChatClient

extension AppState {
    /// Rows one wheel notch scrolls the conversation: a few, as elsewhere in a terminal (the page
    /// keys move a screenful).
    static let wheelRows = 3

    /// A press or a wheel turn, acting on what the last frame drew at its cell (`hitMap`).
    ///
    /// - A press on a friend opens the conversation, as Enter in the list does (the input takes
    ///   the focus, so it is marked read).
    /// - A press on a message selects it: it is drawn highlighted, and newer messages arriving
    ///   while the pane is scrolled up no longer move it. A press on it again lets it go.
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
        case (.press, .friend(let peer)?):
            focus = .input
            friendFilter = nil
            return select(peer)
        case (.press, .message(let id)?):
            guard let peer = selectedPeer, var view = conversations[peer] else { return [] }
            let alreadySelected = view.highlightedMessageID == id && (view.highlightQuery ?? "").isEmpty
            view.highlightedMessageID = alreadySelected ? nil : id
            view.highlightQuery = nil
            // The person picked what to look at: a search jump no longer pulls the pane elsewhere.
            view.revealSeq = nil
            conversations[peer] = view
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
        case .friendList, .friend: return true
        case .chatPane, .message, .input: return false
        }
    }

    /// Keeps a selected message where it is on screen when newer messages arrive below it while
    /// the pane is scrolled up: the rows they add are added to the scroll offset. At the bottom
    /// the pane follows the newest message as always. Call with the conversation as it was
    /// before the arrival.
    mutating func keepSelectedMessageInPlace(peer: UserID, before: ConversationView) {
        guard peer == selectedPeer, before.scrollOffset > 0, let selected = before.highlightedMessageID,
            let view = conversations[peer], view.messages.count > before.messages.count,
            let anchor = before.messages.first(where: { $0.id == selected }),
            let newest = view.messages.last, newest.seq > anchor.seq
        else { return }
        let added = ChatPaneView.lineCount(of: view, state: self) - ChatPaneView.lineCount(of: before, state: self)
        conversations[peer]?.scrollOffset = before.scrollOffset + max(0, added)
    }
}
