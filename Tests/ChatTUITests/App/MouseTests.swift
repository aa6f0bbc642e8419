import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// The mouse: a frame is rendered, its hit map kept (as `ChatApp` keeps it), and a press or a
/// wheel turn at a cell of that frame acts on what was drawn there.
@Suite struct MouseTests {
    init() { DisplayWidth.useUTF8Locale() }

    /// Renders `state` and keeps the frame's hit map in it, as the app does after each draw.
    func rendered(_ state: inout AppState) -> Canvas {
        let canvas = AppView.render(state)
        state.hitMap = canvas.hitMap
        return canvas
    }

    func mouse(_ kind: MouseEvent.Kind, x: Int, y: Int) -> Action {
        .key(.mouse(MouseEvent(kind: kind, x: x, y: y)))
    }

    /// The first cell of `text` at or right of column `minX`, top to bottom, comparing whole
    /// cells (wide characters once).
    func find(_ text: String, in canvas: Canvas, fromX minX: Int = 0) -> (x: Int, y: Int)? {
        let wanted = Array(text)
        for y in 0..<canvas.height {
            for x in minX..<canvas.width {
                var found: [Character] = []
                var column = x
                while column < canvas.width, found.count < wanted.count {
                    let cell = canvas[column, y]
                    if !cell.isContinuation { found += Array(cell.text) }
                    column += 1
                }
                if found == wanted { return (x, y) }
            }
        }
        return nil
    }

    /// Bob's conversation with 60 one-line messages: enough to scroll.
    static func longChat() -> AppState {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let alice = ScreenFixtures.alice
        let bob = ScreenFixtures.bob
        let messages = (1...60).map { (i: Int) -> ChatMessage in
            let aliceWrote = i % 2 == 0
            let sender: UserSummary = aliceWrote ? alice : bob
            let recipient: UserSummary = aliceWrote ? bob : alice
            return ScreenFixtures.message(
                Int64(100 + i),
                from: sender,
                to: recipient,
                seq: UInt64(i),
                "message number \(i)",
                minutes: Int64(i) / 10
            )
        }
        var view = ConversationView()
        view.merge(messages)
        view.olderAvailable = false
        state.conversations[.direct(bob.id)] = view
        return state
    }

    @Test func aPressOnAFriendsRowOpensTheConversation() throws {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.focus = .friends
        let canvas = rendered(&state)
        let carolRow = try #require(canvas.lines.firstIndex { $0.contains("Carol 🎨") })
        #expect(state.hitMap.target(atX: 5, y: carolRow) == .conversation(.direct(ScreenFixtures.carol.id)))

        let effects = state.apply(mouse(.press, x: 5, y: carolRow))
        #expect(state.selectedPeer == ScreenFixtures.carol.id)
        #expect(state.focus == .input)
        #expect(effects.contains(.loadHistory(conversation: .direct(ScreenFixtures.carol.id), beforeSeq: 0)))
        #expect(AppView.render(state).contains("Carol 🎨 (carol)"))

        // A friend's second row (the preview) is that friend too.
        let next = rendered(&state)
        let daveRow = try #require(next.lines.firstIndex { $0.contains("dave") && !$0.contains("Message") })
        _ = state.apply(mouse(.press, x: 8, y: daveRow + 1))
        #expect(state.selectedPeer == ScreenFixtures.dave.id)
    }

    @Test func theWheelScrollsTheConversationOlderAndNewer() throws {
        var state = Self.longChat()
        let bob = ScreenFixtures.bob.id
        let canvas = rendered(&state)
        let newest = try #require(canvas.lines.firstIndex { $0.contains("message number 60") })
        #expect(state.hitMap.target(atX: 50, y: newest) == .message(160))

        _ = state.apply(mouse(.wheelUp, x: 50, y: newest))
        #expect(state.conversations[.direct(bob)]?.scrollOffset == AppState.wheelRows)
        let scrolled = rendered(&state)
        #expect(!scrolled.contains("message number 60"))
        #expect(scrolled.contains("↓ \(AppState.wheelRows) more below"))

        // Over the input the wheel scrolls the conversation too; down comes back to the newest.
        let input = MainView.layout(state).input
        _ = state.apply(mouse(.wheelDown, x: input.x + 3, y: input.y + 1))
        #expect(state.conversations[.direct(bob)]?.scrollOffset == 0)
        #expect(AppView.render(state).contains("message number 60"))
    }

    @Test func theWheelOverTheFriendListMovesThroughFriends() throws {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let order = state.visibleFriends.map(\.user.id)
        #expect(state.selectedPeer == order[0])
        _ = rendered(&state)
        _ = state.apply(mouse(.wheelDown, x: 3, y: 10))
        #expect(state.selectedPeer == order[1])
        _ = state.apply(mouse(.wheelUp, x: 3, y: 10))
        #expect(state.selectedPeer == order[0])
    }

    @Test func aPressOnAMessageSelectsItVisiblyAndAgainLetsItGo() throws {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let bob = ScreenFixtures.bob.id
        let before = rendered(&state)
        // In the pane, not the friend list's preview of Bob's last message.
        let (x, row) = try #require(find("Still there?", in: before, fromX: MainView.layout(state).chat.x))
        #expect(!before[x, row].style.reverse)

        _ = state.apply(mouse(.press, x: x + 2, y: row))
        #expect(state.conversations[.direct(bob)]?.highlightedMessageID == 4)
        let after = rendered(&state)
        #expect(after[x, row].style.reverse)
        #expect(after[x + 11, row].style.reverse)
        #expect(after.text(row: row) == before.text(row: row))

        _ = state.apply(mouse(.press, x: x, y: row))
        #expect(state.conversations[.direct(bob)]?.highlightedMessageID == nil)
        #expect(!AppView.render(state)[x, row].style.reverse)
    }

    @Test func aSelectedMessageKeepsItsPlaceWhileNewerOnesArrive() throws {
        var state = Self.longChat()
        let alice = ScreenFixtures.alice
        let bob = ScreenFixtures.bob
        _ = rendered(&state)
        _ = state.apply(mouse(.wheelUp, x: 50, y: 10))
        let canvas = rendered(&state)
        let row = try #require(canvas.lines.firstIndex { $0.contains("message number 50") })
        _ = state.apply(mouse(.press, x: 50, y: row))
        #expect(state.conversations[.direct(bob.id)]?.highlightedMessageID == 150)

        let arriving = ScreenFixtures.message(161, from: bob, to: alice, seq: 61, "one more", minutes: 7)
        _ = state.apply(.session(.message(arriving, live: true)))
        #expect(state.conversations[.direct(bob.id)]?.scrollOffset == AppState.wheelRows + 1)
        let later = AppView.render(state)
        #expect(later.lines.firstIndex { $0.contains("message number 50") } == row)

        // Without a selection the pane does not hold still (as before): the offset stays.
        _ = state.apply(mouse(.press, x: 50, y: row))
        let another = ScreenFixtures.message(162, from: bob, to: alice, seq: 62, "and another", minutes: 7)
        _ = state.apply(.session(.message(another, live: true)))
        #expect(state.conversations[.direct(bob.id)]?.scrollOffset == AppState.wheelRows + 1)
    }

    @Test func theMouseDoesNothingUnderADialogOrOffTheMainScreen() throws {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let canvas = rendered(&state)
        let carolRow = try #require(canvas.lines.firstIndex { $0.contains("Carol 🎨") })
        state.overlay = .help
        #expect(state.apply(mouse(.press, x: 5, y: carolRow)).isEmpty)
        #expect(state.selectedPeer == ScreenFixtures.bob.id)
        state.overlay = nil
        state.screen = .signIn
        #expect(state.apply(mouse(.press, x: 5, y: carolRow)).isEmpty)
        #expect(state.selectedPeer == ScreenFixtures.bob.id)
        #expect(state.signIn.account.text.isEmpty)
    }
}
