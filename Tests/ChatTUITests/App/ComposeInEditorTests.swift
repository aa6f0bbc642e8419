import ChatClient
import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// Ctrl-X Ctrl-E in the update function: the sequence asks for the editor with the draft, the
/// editor's answer becomes the draft (never sent by itself), and Ctrl-X before any other key is
/// harmless.
@Suite struct ComposeInEditorTests {
    init() { DisplayWidth.useUTF8Locale() }

    let bob = ScreenFixtures.bob.id

    func type(_ text: String, into state: inout AppState) {
        for character in text { _ = state.apply(.key(.character(character))) }
    }

    @Test func ctrlXCtrlEHandsTheDraftToTheEditorAndTakesBackWhatItSaved() {
        var state = ScreenFixtures.mainState(width: 140, height: 24)
        type("first line", into: &state)
        #expect(state.apply(.key(.control("x"))).isEmpty)
        #expect(state.pendingPrefix == .control("x"))
        // The status bar says what the prefix waits for.
        #expect(AppView.render(state).contains("Ctrl-X Ctrl-E: write the message in $VISUAL / $EDITOR"))

        #expect(state.apply(.key(.control("e"))) == [.composeInEditor(draft: "first line", conversation: .direct(bob))])
        #expect(state.pendingPrefix == nil)
        #expect(state.input.text == "first line")

        // What the editor saved replaces the draft, lines and all, and waits for Enter.
        #expect(state.apply(.composed(conversation: .direct(bob), .success("first line\nsecond line"))).isEmpty)
        #expect(state.input.text == "first line\nsecond line")
        let screen = AppView.render(state)
        #expect(screen.contains("second line"))
        #expect(screen.contains("Edited. Enter sends it."))
        #expect(state.apply(.key(.enter)) == [.send(text: "first line\nsecond line", to: .direct(bob))])
    }

    @Test func ctrlEAloneIsStillEndOfLine() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        type("abc", into: &state)
        _ = state.apply(.key(.control("a")))
        #expect(state.input.cursor == 0)
        #expect(state.apply(.key(.control("e"))).isEmpty)
        #expect(state.input.cursor == 3)
        #expect(state.pendingPrefix == nil)
    }

    @Test func anEditorThatFailedLeavesTheDraftAndSaysSo() {
        var state = ScreenFixtures.mainState(width: 140, height: 24)
        type("keep me", into: &state)
        _ = state.apply(.key(.control("x")))
        _ = state.apply(.key(.control("e")))
        let failure = ChatError(.internalError, "vi exited with status 1: the draft is unchanged.")
        #expect(state.apply(.composed(conversation: .direct(bob), .failure(failure))).isEmpty)
        #expect(state.input.text == "keep me")
        #expect(AppView.render(state).contains("vi exited with status 1: the draft is unchanged."))
    }

    /// Bash drops an unbound Ctrl-X sequence: the second key is neither typed nor acted on. Enter
    /// does not send, a main-screen key does not switch conversations, Esc just cancels; only a
    /// paste goes in, since pasted text must never be lost.
    @Test func ctrlXBeforeAnyOtherKeyDoesNothingHarmful() {
        var state = ScreenFixtures.mainState(width: 140, height: 24)
        type("draft", into: &state)
        let seconds: [Key] = [.enter, .control("n"), .backTab, .control("u"), .function(1), .escape]
        for second in seconds {
            #expect(state.apply(.key(.control("x"))).isEmpty)
            #expect(state.apply(.key(second)).isEmpty, "Ctrl-X \(second.name)")
            #expect(state.input.text == "draft", "Ctrl-X \(second.name)")
            #expect(state.selectedPeer == bob && state.focus == .input && state.overlay == nil, "Ctrl-X \(second.name)")
            #expect(state.pendingPrefix == nil, "Ctrl-X \(second.name)")
        }
        _ = state.apply(.key(.control("x")))
        _ = state.apply(.key(.control("v")))
        #expect(AppView.render(state).contains("Ctrl-X Ctrl-V does nothing."))
        // A letter after Ctrl-X is typed: text is never thrown away.
        _ = state.apply(.key(.control("x")))
        _ = state.apply(.key(.character("s")))
        #expect(state.input.text == "drafts")
        state.input.setText("draft")

        _ = state.apply(.key(.control("x")))
        _ = state.apply(.key(.paste(" pasted")))
        #expect(state.input.text == "draft pasted")
        // And the key after that is an ordinary key again.
        type("!", into: &state)
        #expect(state.input.text == "draft pasted!")
    }

    /// The answer belongs to the conversation the draft was written for: if another one is open
    /// by then, it becomes that conversation's draft, not text addressed to someone else.
    @Test func theEditedTextGoesBackToItsOwnConversation() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        type("for bob", into: &state)
        _ = state.apply(.key(.control("x")))
        #expect(state.apply(.key(.control("e"))) == [.composeInEditor(draft: "for bob", conversation: .direct(bob))])
        _ = state.select(.direct(ScreenFixtures.carol.id))
        _ = state.apply(.composed(conversation: .direct(bob), .success("for bob, edited")))
        #expect(state.input.text.isEmpty)
        #expect(state.drafts[.direct(bob)] == "for bob, edited")
        _ = state.select(.direct(bob))
        #expect(state.input.text == "for bob, edited")
    }

    /// A sequence begun in the input does not carry over to a screen or panel opened meanwhile.
    @Test func aPendingPrefixEndsWhenTheKeyboardGoesElsewhere() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = state.apply(.key(.control("x")))
        state.overlay = .help
        _ = state.apply(.key(.escape))
        #expect(state.pendingPrefix == nil)
        #expect(state.overlay == nil)
        type("e", into: &state)
        #expect(state.input.text == "e")
    }
}
