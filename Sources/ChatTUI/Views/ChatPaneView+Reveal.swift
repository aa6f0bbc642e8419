extension ChatPaneView {
    /// The scroll offset (rows up from the newest) that shows message `id` in the pane at the
    /// state's size, with as many rows above it as below where the conversation allows, or its
    /// first rows if it is taller than the pane; nil when it is not among the loaded messages.
    static func scrollOffset(revealing id: Int64, in view: ConversationView, state: AppState) -> Int? {
        guard let friend = state.selectedFriend else { return nil }
        let pane = MainView.layout(state).chat
        let lines = Self.lines(for: view, peer: friend, state: state, width: pane.width - 4)
        guard let first = lines.firstIndex(where: { $0.messageID == id }),
            let last = lines.lastIndex(where: { $0.messageID == id })
        else { return nil }
        // Inside the border, less the offline banner when it shows (as `render` lays it out).
        let height = max(1, pane.height - 2 - (offlineBanner(state) == nil ? 0 : 1))
        let rows = last - first + 1
        let end = rows >= height ? first + height : min(lines.count, last + 1 + (height - rows) / 2)
        return min(max(0, lines.count - end), max(0, lines.count - height))
    }
}
