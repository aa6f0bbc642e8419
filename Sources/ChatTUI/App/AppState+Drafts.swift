import ChatClient

extension AppState {
    /// Every conversation's unsent text: the drafts of the others and the input of the open one.
    var allDrafts: [ConversationKey: String] {
        var all = drafts
        if let selectedConversation, !input.isEmpty { all[selectedConversation] = input.text }
        return all
    }

    /// The effect that keeps `allDrafts` in the cache across a restart; none before the kept
    /// ones are back.
    var saveDraftsEffect: [Effect] {
        draftsRestored ? [.saveDrafts(allDrafts)] : []
    }

    /// The drafts kept from the last run: the open conversation's goes into an empty input, the
    /// others become drafts. What was typed meanwhile is not overwritten.
    mutating func restoreDrafts(_ kept: [ConversationKey: String]) {
        draftsRestored = true
        for (key, text) in kept where drafts[key] == nil {
            if key == selectedConversation {
                if input.isEmpty { input.setText(text) }
            } else {
                drafts[key] = text
            }
        }
    }

    /// Signed out: the account's drafts (kept in its cache) leave the screen with it, and so do
    /// the reply being written and a selected message.
    mutating func forgetDrafts() {
        drafts = [:]
        input.clear()
        draftsRestored = false
        reply = nil
        selectingMessages = false
        typingSignal = nil
    }
}
