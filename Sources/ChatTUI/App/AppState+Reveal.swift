import ChatClient

extension AppState {
    /// Brings the conversation's highlighted message into view (`ConversationView.revealSeq`):
    /// scrolls to it when it is loaded; otherwise asks for the page before the oldest loaded
    /// one, and is called again when that lands. Stops when the history has nothing older, or
    /// the oldest loaded message is already older than it (it is gone). A quote's original
    /// (`g` on a reply) is known by its seq alone: it is highlighted once its page is here.
    mutating func revealHighlight(in key: ConversationKey) -> [Effect] {
        guard key == selectedConversation, var view = conversations[key], let seq = view.revealSeq else { return [] }
        defer { conversations[key] = view }
        if view.highlightedMessageID == nil, let original = view.messages.first(where: { $0.seq == seq }) {
            view.highlightedMessageID = original.id
        }
        if let id = view.highlightedMessageID, let message = view.messages.first(where: { $0.id == id }) {
            // Another message was picked since (a click): that one stays where it is.
            guard message.seq == seq else {
                view.revealSeq = nil
                return []
            }
            if let offset = ChatPaneView.scrollOffset(revealing: id, in: view, state: self) {
                view.scrollOffset = offset
            }
            return []
        }
        // Nothing loaded yet: the newest page is on its way, and its answer comes back here.
        guard let oldest = view.messages.first else { return [] }
        guard oldest.seq > seq, view.olderAvailable else {
            view.revealSeq = nil
            return []
        }
        guard !view.loadingOlder else { return [] }
        view.loadingOlder = true
        return [.loadHistory(conversation: key, beforeSeq: oldest.seq)]
    }
}
