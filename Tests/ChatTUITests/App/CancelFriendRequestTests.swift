import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// A request I sent can be withdrawn from the requests panel, after a confirmation whose answer
/// is no unless it is "y".
@Suite struct CancelFriendRequestTests {
    init() { DisplayWidth.useUTF8Locale() }

    static let frank = UserSummary(id: 9, username: "frank")

    /// The fixture (erin's request to me) and one of mine, to frank, selected.
    static func panelOnMyRequest() -> AppState {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.chat?.outgoingRequests = [
            FriendRequest(
                from: ScreenFixtures.alice,
                to: frank,
                message: "Hi, I'm alice!",
                createdAtMs: ScreenFixtures.base
            )
        ]
        _ = state.apply(.key(.control("r")))
        _ = state.apply(.key(.down))
        return state
    }

    @Test func cIsAskedAboutAndOnlyYWithdraws() {
        var state = Self.panelOnMyRequest()
        let panel = AppView.render(state)
        #expect(panel.contains("Sent by you") && panel.contains("frank") && panel.contains("c cancel"))

        #expect(state.apply(.key(.character("c"))).isEmpty)
        guard case .confirm(let confirmation) = state.overlay else {
            Issue.record("no confirmation: \(String(describing: state.overlay))")
            return
        }
        #expect(confirmation.question == "Withdraw your friend request to frank?")
        let asked = AppView.render(state)
        #expect(asked.contains("Withdraw your friend request to frank?"))
        #expect(asked.contains("y yes · any other key no"))

        // Enter, typed by habit, is no: back to the panel, on the same request.
        #expect(state.apply(.key(.enter)).isEmpty)
        #expect(state.overlay == .requests(RequestsPanel(selected: 1)))
        // Esc too.
        _ = state.apply(.key(.delete))
        #expect(state.apply(.key(.escape)).isEmpty)
        #expect(state.overlay == .requests(RequestsPanel(selected: 1)))

        _ = state.apply(.key(.character("c")))
        #expect(state.apply(.key(.character("y"))) == [.cancelFriendRequest(to: Self.frank.id)])
        #expect(state.overlay == .requests(RequestsPanel(selected: 1)))
    }

    @Test func anIncomingRequestCannotBeCancelled() {
        var state = Self.panelOnMyRequest()
        _ = state.apply(.key(.up))
        #expect(state.apply(.key(.character("c"))).isEmpty)
        #expect(state.overlay == .requests(RequestsPanel(selected: 0)))
    }
}
