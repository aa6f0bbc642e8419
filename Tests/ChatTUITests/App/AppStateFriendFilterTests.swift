import ChatClient
import Testing

@testable import ChatTUI

/// Filtering the friend list opens each match to preview it, as moving with j/k does, and
/// marks nothing read until Enter goes back to the input (`skimmingTheFriendListMarksNothingRead`
/// covers j/k).
@Suite struct AppStateFriendFilterTests {
    @Test func filteringPreviewsWithoutMarkingRead() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let carol = ScreenFixtures.carol.id
        state.chat?.conversations[carol]?.lastSeq = 5
        var effects = state.perform(.switchFocus)
        effects += state.perform(.filterFriends)
        for character in "car" { effects += state.apply(.key(.character(character))) }
        #expect(state.selectedPeer == carol)
        #expect(effects.contains(.loadHistory(conversation: .direct(carol), beforeSeq: 0)))
        #expect(!effects.contains { if case .markRead = $0 { true } else { false } }, "\(effects)")
        #expect(state.chat?.conversations[carol]?.unread == 4)
        // Enter opens it to be read.
        #expect(state.apply(.key(.enter)) == [.markRead(.direct(carol))])
        #expect(state.focus == .input)
    }
}
