import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// A frame builds only the newest rows it can show; those rows must be exactly the full
/// conversation's last rows, whatever the height, scroll position, days, unread line and outbox.
@Suite struct ChatPaneViewTests {
    static func longConversation() -> AppState {
        var state = ScreenFixtures.mainState(width: 120, height: 40)
        let alice = ScreenFixtures.alice
        let bob = ScreenFixtures.bob
        let texts = [
            "短", "A longer line that wraps across the pane more than once when the pane is narrow enough 👨‍👩‍👧 家族",
            "晚上一起吃饭吗？🍜", "ok",
        ]
        let messages = (1...150).map { i in
            // Three messages an hour: the conversation crosses several days.
            ScreenFixtures.message(
                Int64(i),
                from: i % 3 == 0 ? alice : bob,
                to: i % 3 == 0 ? bob : alice,
                seq: UInt64(i),
                texts[i % texts.count],
                minutes: Int64(i) * 20 - 3000
            )
        }
        var view = ConversationView()
        view.merge(messages)
        view.firstUnreadSeq = 140
        view.olderAvailable = false
        state.conversations[.direct(bob.id)] = view
        state.chat?.outbox = [
            OutboxMessage(
                clientMessageID: "o1",
                peerID: bob.id,
                text: "待发送 1",
                createdAtMs: ScreenFixtures.base + 9_000_000
            ),
            OutboxMessage(
                clientMessageID: "o2",
                peerID: bob.id,
                text: "pending two",
                createdAtMs: ScreenFixtures.base + 99_000_000
            ),
        ]
        return state
    }

    @Test(arguments: [1, 7, 38, 60, 233, 10_000])
    func theNewestRowsAreTheSameWhenOnlyTheyAreBuilt(needed: Int) throws {
        let state = Self.longConversation()
        let bob = try #require(state.selectedConversation)
        let view = try #require(state.conversations[bob])
        for width in [30, 80, 116] {
            let full = ChatPaneView.lines(for: view, in: bob, state: state, width: width)
            let partial = ChatPaneView.lines(for: view, in: bob, state: state, width: width, atLeast: needed)
            #expect(partial.count >= min(needed, full.count))
            #expect(Array(full.suffix(partial.count)) == partial, "width \(width), needed \(needed)")
            if needed >= full.count { #expect(partial == full) }
        }
    }

    @Test func aScrolledScreenShowsTheSameRowsAsBefore() {
        var state = Self.longConversation()
        let bobID = ScreenFixtures.bob.id
        for offset in [0, 1, 25, 300, 100_000] {
            state.conversations[.direct(bobID)]?.scrollOffset = offset
            let canvas = AppView.render(state)
            // The rows the pane shows, rebuilt from the full list as the old renderer did.
            let inner = MainView.layout(state).chat
            let full = ChatPaneView.lines(
                for: state.conversations[.direct(bobID)]!,
                in: .direct(bobID),
                state: state,
                width: inner.width - 4
            )
            let height = inner.height - 2
            let clamped = min(offset, max(0, full.count - height))
            let last = full[full.count - clamped - 1]
            let lastText = last.segments.map(\.text).joined().trimmingCharacters(in: .whitespaces)
            let bottomRow = canvas.text(row: inner.maxY - 2)
            #expect(bottomRow.contains(String(lastText.prefix(8))), "offset \(offset): \(bottomRow)")
        }
    }
}
