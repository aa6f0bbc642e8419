extension ChatPaneView {
    /// The scroll offset (rows up from the newest) that shows message `id` in the pane at the
    /// state's size, with as many rows above it as below where the conversation allows, or its
    /// first rows if it is taller than the pane; nil when it is not among the loaded messages.
    static func scrollOffset(revealing id: Int64, in view: ConversationView, state: AppState) -> Int? {
        guard let key = state.selectedConversation else { return nil }
        let pane = MainView.layout(state).chat
        let lines = Self.lines(for: view, in: key, state: state, width: pane.width - 4)
        guard let first = lines.firstIndex(where: { $0.messageID == id }),
            let last = lines.lastIndex(where: { $0.messageID == id })
        else { return nil }
        let height = messageRows(state)
        let rows = last - first + 1
        let end = rows >= height ? first + height : min(lines.count, last + 1 + (height - rows) / 2)
        return min(max(0, lines.count - end), max(0, lines.count - height))
    }

    /// The scroll offset that shows message `id` whole with the least movement from where the
    /// pane is (its first rows if it is taller than the pane): what a selection moved with the
    /// keys needs, where centring each step would make the pane jump. Nil when it is not loaded.
    static func scrollOffset(showing id: Int64, in view: ConversationView, state: AppState) -> Int? {
        guard let key = state.selectedConversation else { return nil }
        let pane = MainView.layout(state).chat
        let lines = Self.lines(for: view, in: key, state: state, width: pane.width - 4)
        guard let first = lines.firstIndex(where: { $0.messageID == id }),
            let last = lines.lastIndex(where: { $0.messageID == id })
        else { return nil }
        let height = messageRows(state)
        let total = lines.count
        var end = total - min(view.scrollOffset, max(0, total - height))
        if last >= end { end = last + 1 }
        if first < end - height { end = first + height }
        return min(max(0, total - end), max(0, total - height))
    }

    /// The messages the pane shows now, oldest first (a message partly in view included), laid
    /// out as `render` lays them out.
    static func visibleMessageIDs(_ state: AppState) -> [Int64] {
        guard let key = state.selectedConversation, let view = state.conversations[key] else { return [] }
        let pane = MainView.layout(state).chat
        let height = messageRows(state)
        let needed = height + view.scrollOffset
        let lines = Self.lines(for: view, in: key, state: state, width: pane.width - 4, atLeast: needed)
        let end = lines.count - min(view.scrollOffset, max(0, lines.count - height))
        var ids: [Int64] = []
        for line in lines[max(0, end - height)..<end] {
            if let id = line.messageID, ids.last != id { ids.append(id) }
        }
        return ids
    }

    /// Rows for messages inside the pane's border, less the offline banner when it shows (as
    /// `render` lays them out).
    static func messageRows(_ state: AppState) -> Int {
        max(1, MainView.layout(state).chat.height - 2 - (offlineBanner(state) == nil ? 0 : 1))
    }
}
