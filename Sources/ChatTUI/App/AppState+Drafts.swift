import ChatClient

extension AppState {
    /// Every conversation's unsent text: the drafts of the others and the input of the open one.
    var allDrafts: [UserID: String] {
        var all = drafts
        if let selectedPeer, !input.isEmpty { all[selectedPeer] = input.text }
        return all
    }

    /// The effect that keeps `allDrafts` in the cache across a restart; none before the kept
    /// ones are back.
    var saveDraftsEffect: [Effect] {
        draftsRestored ? [.saveDrafts(allDrafts)] : []
    }

    /// The drafts kept from the last run: the open conversation's goes into an empty input, the
    /// others become drafts. What was typed meanwhile is not overwritten.
    mutating func restoreDrafts(_ kept: [UserID: String]) {
        draftsRestored = true
        for (peer, text) in kept where drafts[peer] == nil {
            if peer == selectedPeer {
                if input.isEmpty { input.setText(text) }
            } else {
                drafts[peer] = text
            }
        }
    }

    /// Signed out: the account's drafts (kept in its cache) leave the screen with it.
    mutating func forgetDrafts() {
        drafts = [:]
        input.clear()
        draftsRestored = false
    }
}
