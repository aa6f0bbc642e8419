import ChatClient
import Testing

@testable import ChatTUI

/// Alt-A (and F5) to the next conversation with unread messages, Alt-1…Alt-9 to a place in the
/// friend list: keys in, state and effects out.
@Suite struct AppStateJumpsTests {
    static let erin = UserSummary(id: 5, username: "erin")
    var bob: UserID { ScreenFixtures.bob.id }
    var carol: UserID { ScreenFixtures.carol.id }
    var dave: UserID { ScreenFixtures.dave.id }
    var erin: UserID { Self.erin.id }

    /// Four friends, listed bob, carol, dave, erin (most recent first); those in `unread` have
    /// two unread messages of three.
    func fixture(unread: Set<UserID>) -> AppState {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        guard var chat = state.chat else { return state }
        chat.friends[erin] = Friend(user: Self.erin)
        let people = [ScreenFixtures.bob, ScreenFixtures.carol, ScreenFixtures.dave, Self.erin]
        for (index, person) in people.enumerated() {
            chat.conversations[person.id] = Conversation(
                peerID: person.id,
                lastMessage: ScreenFixtures.message(
                    Int64(100 + index),
                    from: person,
                    to: ScreenFixtures.alice,
                    seq: 3,
                    "hi",
                    minutes: Int64(-10 * index)
                ),
                lastSeq: 3,
                readSeq: unread.contains(person.id) ? 1 : 3
            )
        }
        state.chat = chat
        return state
    }

    /// What the session publishes once the server has the read mark.
    func read(_ peer: UserID, in state: inout AppState) {
        state.chat?.conversations[peer]?.readSeq = 3
    }

    @Test func theListIsInTheOrderTheseTestsAssume() {
        #expect(fixture(unread: []).visibleFriends.map(\.user.id) == [bob, carol, dave, erin])
    }

    @Test func altAGoesToTheNextUnreadAfterTheOpenOneWrappingRound() {
        var state = fixture(unread: [bob, dave])
        _ = state.select(.direct(carol))
        state.focus = .friends
        state.friendFilter = LineEditor()

        // After carol's, in list order: dave's. Opened as Enter opens it: the input has the
        // focus, the filter is closed, the history loads, it is marked read, and the
        // "new messages" line sits above the first unread message.
        var effects = state.apply(.key(.alt("a")))
        #expect(state.selectedPeer == dave)
        #expect(state.focus == .input)
        #expect(state.friendFilter == nil)
        #expect(effects.contains(.loadHistory(conversation: .direct(dave), beforeSeq: 0)))
        #expect(effects.contains(.markRead(.direct(dave))))
        #expect(state.conversations[.direct(dave)]?.firstUnreadSeq == 2)
        read(dave, in: &state)

        // Nothing unread after dave's (erin has read everything): round to bob's. F5 does the same.
        effects = state.apply(.key(.function(5)))
        #expect(state.selectedPeer == bob)
        #expect(effects.contains(.markRead(.direct(bob))))
        read(bob, in: &state)

        // Nothing unread anywhere: it stays where it is and says so.
        let before = state
        effects = state.apply(.key(.alt("a")))
        #expect(effects.isEmpty)
        #expect(state.selectedPeer == bob)
        #expect(state.input == before.input)
        #expect(state.notice?.text == "No unread messages.")
        #expect(AppView.render(state).contains("No unread messages."))
    }

    /// The open conversation comes last in the round, so one only previewed from the friend
    /// list (not marked read yet) is reached when it is the only one unread.
    @Test func altAReachesAnUnreadConversationThatIsOnlyPreviewed() {
        var state = fixture(unread: [carol])
        state.focus = .friends
        _ = state.select(.direct(carol))
        let effects = state.apply(.key(.alt("a")))
        #expect(state.selectedPeer == carol)
        #expect(state.focus == .input)
        #expect(effects == [.markRead(.direct(carol))])
    }

    @Test func altDigitOpensThatPlaceInTheList() {
        var state = fixture(unread: [dave])
        let effects = state.apply(.key(.alt("3")))
        #expect(state.selectedPeer == dave)
        #expect(effects.contains(.loadHistory(conversation: .direct(dave), beforeSeq: 0)))
        #expect(effects.contains(.markRead(.direct(dave))))
        #expect(AppView.render(state).contains("Message dave"))

        _ = state.apply(.key(.alt("1")))
        #expect(state.selectedPeer == bob)

        // The place is the one the list shows: filtered, "er" shows erin alone.
        state.focus = .friends
        _ = state.apply(.key(.character("/")))
        for character in "er" { _ = state.apply(.key(.character(character))) }
        #expect(state.visibleFriends.map(\.user.id) == [erin])
        _ = state.apply(.key(.alt("1")))
        #expect(state.selectedPeer == erin)
        #expect(state.friendFilter == nil)
        #expect(state.focus == .input)
    }

    @Test func altNineWithFourConversationsDoesNothingHarmful() {
        var state = fixture(unread: [carol])
        state.input.setText("half a thought")
        let before = state
        let effects = state.apply(.key(.alt("9")))
        #expect(effects.isEmpty)
        #expect(state.selectedPeer == before.selectedPeer)
        #expect(state.focus == before.focus)
        #expect(state.input == before.input)
        #expect(state.drafts == before.drafts)
        #expect(state.overlay == nil)
        #expect(state.notice?.text == "The list has only 4 conversations.")
        // Nor is the key typed: Alt-9 is not text.
        #expect(!state.input.text.contains("9"))
    }
}
