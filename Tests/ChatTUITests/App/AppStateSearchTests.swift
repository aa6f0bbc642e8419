import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// Search in one conversation or all, and Enter on a result: the conversation opens scrolled
/// to the message, older pages loaded as far back as it is.
@Suite struct AppStateSearchTests {
    let bob = ScreenFixtures.bob.id
    static let found = "where did we park the car?"

    /// Bob's 200 messages; number 20 is the one searched for.
    static let history = ScreenFixtures.conversation(
        200,
        bobWrote: { $0 % 2 == 0 },
        text: { seq in seq == 20 ? AppStateSearchTests.found : "note \(seq)" }
    )

    /// A page as the session answers it: up to 50 before `beforeSeq` (0: the newest), newest first.
    static func page(before beforeSeq: UInt64) -> [ChatMessage] {
        Array(history.filter { beforeSeq == 0 || $0.seq < beforeSeq }.suffix(50).reversed())
    }

    /// Does what the runner does with history requests, until none is left.
    static func runHistoryRequests(_ effects: [Effect], on state: inout AppState) -> Int {
        var pending = effects
        var answered = 0
        while !pending.isEmpty, answered < 20 {
            let effect = pending.removeFirst()
            guard case .loadHistory(let peer, let beforeSeq) = effect else { continue }
            answered += 1
            pending += state.apply(
                .historyLoaded(conversation: peer, beforeSeq: beforeSeq, .success(page(before: beforeSeq)))
            )
        }
        return answered
    }

    /// The state with the newest page of bob's 200 messages loaded.
    func stateWithLongHistory() -> AppState {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.chat?.conversations[bob] = Conversation(
            peerID: bob,
            lastMessage: Self.history.last,
            lastSeq: 200,
            readSeq: 200
        )
        var view = ConversationView()
        view.merge(Self.page(before: 0))
        state.conversations[.direct(bob)] = view
        return state
    }

    @Test func enterOnAResultScrollsToItLoadingOlderPages() throws {
        var state = stateWithLongHistory()
        #expect(!AppView.render(state).contains(Self.found))
        _ = state.apply(.key(.control("s")))
        for character in "park" { _ = state.apply(.key(.character(character))) }
        let result = Self.history[19]
        _ = state.apply(.searchResults(query: "park", conversation: nil, [result], total: 1))
        let effects = state.apply(.key(.enter))
        #expect(state.overlay == nil)
        // Pages 151–200 (again), 101–150, 51–100, 1–50: the pane is one stretch down to the newest.
        #expect(Self.runHistoryRequests(effects, on: &state) == 4)
        let view = try #require(state.conversations[.direct(bob)])
        #expect(view.messages.count == 200)
        #expect(view.scrollOffset > 0)
        let screen = AppView.render(state)
        let rows = screen.lines
        let row = try #require(rows.firstIndex { $0.contains(Self.found) })
        // The message sits mid-pane: rows of context above and below it.
        #expect(rows[row - 2].contains("note 18") && rows[row + 2].contains("note 22"))
        // Highlighted where the query matches.
        #expect((0..<screen.width).contains { screen[$0, row].text == "p" && screen[$0, row].style.reverse })

        // Once the person scrolls, a late page does not pull the pane back to the message.
        _ = state.apply(.key(.pageDown))
        let scrolled = state.conversations[.direct(bob)]?.scrollOffset
        _ = state.apply(.historyLoaded(conversation: .direct(bob), beforeSeq: 0, .success(Self.page(before: 0))))
        #expect(state.conversations[.direct(bob)]?.scrollOffset == scrolled)
    }

    @Test func aResultAlreadyLoadedIsShownAtOnce() {
        var state = stateWithLongHistory()
        let result = Self.history[159]
        _ = state.apply(.key(.control("s")))
        for character in "note 160" { _ = state.apply(.key(.character(character))) }
        _ = state.apply(.searchResults(query: "note 160", conversation: nil, [result], total: 1))
        let effects = state.apply(.key(.enter))
        // Only the newest page, to catch up: nothing older is needed.
        #expect(!effects.contains { if case .loadHistory(_, let before) = $0 { before != 0 } else { false } })
        #expect(AppView.render(state).contains("note 160"))
        #expect((state.conversations[.direct(bob)]?.scrollOffset ?? 0) > 0)
    }

    /// Alt-S (or F6) searches only the open conversation; Ctrl-S still searches them all.
    @Test func searchWithinTheOpenConversation() {
        var state = ScreenFixtures.mainState(width: 100, height: 30)
        for key: Key in [.alt("s"), .function(6)] {
            _ = state.apply(.key(key))
            #expect(state.overlay == .search(MessageSearch(conversation: .direct(bob))), "\(key.name)")
            _ = state.apply(.key(.escape))
        }
        _ = state.apply(.key(.alt("s")))
        var effects: [Effect] = []
        for character in "still" { effects = state.apply(.key(.character(character))) }
        #expect(effects == [.searchMessages("still", conversation: .direct(bob))])
        #expect(AppView.render(state).contains("Search messages with bob"))
        // An answer for every conversation is not this search's.
        let message = ScreenFixtures.bobMessages[3]
        _ = state.apply(.searchResults(query: "still", conversation: nil, [message, message], total: 2))
        guard case .search(let unanswered) = state.overlay else {
            Issue.record("the search closed")
            return
        }
        #expect(!unanswered.searched)
        _ = state.apply(.searchResults(query: "still", conversation: .direct(bob), [message], total: 1))
        guard case .search(let answered) = state.overlay else { return }
        #expect(answered.searched && answered.results == [message])
        #expect(AppView.render(state).contains("1 found"))
        // Editing the query searches the same conversation again.
        #expect(state.apply(.key(.backspace)) == [.searchMessages("stil", conversation: .direct(bob))])

        // With no conversation open there is nothing to search in: it says so.
        _ = state.apply(.key(.escape))
        state.selectedPeer = nil
        _ = state.apply(.key(.alt("s")))
        #expect(state.overlay == nil)
        #expect(state.notice?.kind == .error)
    }
}
