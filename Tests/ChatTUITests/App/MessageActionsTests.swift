import ChatClient
import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// A message selected with the keyboard and what its keys do: ↑ from an empty input, r reply,
/// Del recall (mine, young, after a "y"), c copy, g the quoted original, i who read it; and what
/// goes with a message sent: its reply, its mentions, "typing…".
@Suite struct MessageActionsTests {
    init() { DisplayWidth.useUTF8Locale() }

    typealias F = MessageFixtures
    static let bob = ConversationKey.direct(ScreenFixtures.bob.id)

    func type(_ text: String, into state: inout AppState) {
        for character in text { _ = state.apply(.key(.character(character))) }
    }

    func press(_ keys: Key..., in state: inout AppState) -> [Effect] {
        keys.flatMap { state.apply(.key($0)) }
    }

    /// Bob's conversation with one of alice's messages sent `secondsAgo` seconds ago, newest.
    static func withMyMessage(secondsAgo: Double) -> AppState {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        var mine = ScreenFixtures.message(50, from: F.alice, to: F.bob, seq: 5, "meet at 8?", minutes: 0)
        mine.sentAtMs = Int64((state.now.timeIntervalSince1970 - secondsAgo) * 1000)
        state.conversations[bob]?.merge([mine])
        return state
    }

    // MARK: Selecting

    @Test func upFromAnEmptyInputSelectsAndTheKeysMoveIt() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = press(.up, in: &state)
        #expect(state.isSelectingMessage)
        #expect(state.selectedMessage?.id == 4)
        _ = press(.up, .character("k"), in: &state)
        #expect(state.selectedMessage?.id == 2)
        _ = press(.down, .character("j"), in: &state)
        #expect(state.selectedMessage?.id == 4)
        // Past the newest: the input again, nothing marked.
        _ = press(.down, in: &state)
        #expect(!state.isSelectingMessage)
        #expect(state.conversations[Self.bob]?.highlightedMessageID == nil)
    }

    @Test func upInTextStaysTheInputs() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        type("first", into: &state)
        _ = press(.enter, in: &state)
        type("draft", into: &state)
        _ = press(.up, in: &state)
        #expect(!state.isSelectingMessage)
        #expect(state.input.text == "first", "history, as readline's ↑")
        // A conversation with nothing to select: ↑ recalls there too.
        var empty = ScreenFixtures.mainState(width: 80, height: 24)
        type("sent", into: &empty)
        _ = press(.enter, in: &empty)
        empty.conversations[Self.bob]?.messages = []
        _ = press(.up, in: &empty)
        #expect(empty.input.text == "sent")
    }

    @Test func aLetterTypedGoesToTheInputAndEscJustLeaves() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = press(.up, .character("x"), in: &state)
        #expect(!state.isSelectingMessage)
        #expect(state.input.text == "x")
        _ = press(.backspace, .up, .escape, in: &state)
        #expect(!state.isSelectingMessage && state.input.isEmpty)
        // F1 and the other screen-wide keys work while a message is selected.
        _ = press(.up, .function(1), in: &state)
        #expect(state.overlay == .help)
    }

    @Test func upAtTheOldestLoadedLoadsThePageBefore() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.conversations[Self.bob]?.olderAvailable = true
        _ = press(.up, .up, .up, .up, in: &state)
        #expect(state.selectedMessage?.id == 1)
        #expect(press(.up, in: &state) == [.loadHistory(conversation: Self.bob, beforeSeq: 1)])
        #expect(state.selectedMessage?.id == 1)
        #expect(press(.up, in: &state).isEmpty, "once, while it loads")
    }

    @Test func aClickSelectsForTheKeysOnlyWithNothingTyped() throws {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let canvas = AppView.render(state)
        state.hitMap = canvas.hitMap
        let y = try #require(F.row(of: "Still there?", in: canvas, state: state))
        _ = state.apply(.key(.mouse(MouseEvent(kind: .press, x: 50, y: y))))
        #expect(state.isSelectingMessage)
        #expect(press(.character("c"), in: &state) == [.copyToClipboard("Still there?")])

        _ = press(.escape, in: &state)
        type("half", into: &state)
        _ = state.apply(.key(.mouse(MouseEvent(kind: .press, x: 50, y: y))))
        #expect(!state.isSelectingMessage)
        _ = press(.character("c"), in: &state)
        #expect(state.input.text == "halfc")
    }

    // MARK: Reply

    @Test func aReplyIsSentWithTheSeqItAnswersAndEscDropsIt() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = press(.up, .up, .up, .character("r"), in: &state)
        let answered = ScreenFixtures.bobMessages[1]
        #expect(
            state.activeReply
                == ReplyDraft(conversation: Self.bob, seq: 2, senderID: F.alice.id, excerpt: answered.text)
        )
        #expect(!state.isSelectingMessage, "the input has the keys, to write the answer")
        type("ok", into: &state)
        #expect(press(.enter, in: &state) == [.send(text: "ok", to: Self.bob, replyTo: 2)])
        #expect(state.reply == nil)

        _ = press(.up, .character("r"), in: &state)
        type("never mind", into: &state)
        _ = press(.escape, in: &state)
        #expect(state.reply == nil)
        #expect(state.input.text == "never mind")
        #expect(press(.enter, in: &state) == [.send(text: "never mind", to: Self.bob)])
    }

    @Test func aReplyStaysWithItsConversation() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = press(.up, .character("r"), in: &state)
        _ = state.select(.direct(F.carol.id))
        #expect(state.activeReply == nil)
        type("to carol", into: &state)
        #expect(press(.enter, in: &state) == [.send(text: "to carol", to: .direct(F.carol.id))])
        _ = state.select(Self.bob)
        #expect(state.activeReply?.seq == 4)
    }

    // MARK: Recall

    @Test func recallingMyRecentMessageAsksFirst() {
        var state = Self.withMyMessage(secondsAgo: 30)
        _ = press(.up, .delete, in: &state)
        guard case .confirm(let confirmation) = state.overlay else {
            Issue.record("no confirmation")
            return
        }
        #expect(confirmation.action == .recall(Self.bob, seq: 5))
        #expect(confirmation.question.contains("meet at 8?"))
        // Any key but "y" is no.
        _ = press(.enter, in: &state)
        #expect(state.overlay == nil)
        #expect(state.isSelectingMessage, "back to the selected message")
        #expect(press(.delete, .character("y"), in: &state) == [.recall(Self.bob, seq: 5)])
        #expect(!state.isSelectingMessage)
    }

    @Test func onlyMyOwnAndOnlyWhileYoung() {
        var old = Self.withMyMessage(secondsAgo: Double(ProtocolLimits.recallWindowMs) / 1000 + 5)
        #expect(press(.up, .delete, in: &old).isEmpty)
        #expect(old.overlay == nil)
        #expect(old.notice?.text.contains("Too late to recall") == true)
        #expect(AppView.render(old).contains("Too late to recall"))

        var theirs = ScreenFixtures.mainState(width: 80, height: 24)
        #expect(press(.up, .delete, in: &theirs).isEmpty)
        #expect(theirs.overlay == nil)
        #expect(theirs.notice?.text == "Only your own messages can be recalled.")
    }

    @Test func aRecallShowsInPlaceAndEndsAReplyToIt() {
        var state = Self.withMyMessage(secondsAgo: 10)
        _ = press(.up, .character("r"), in: &state)
        _ = state.apply(.session(.messageRecalled(Self.bob, seq: 5)))
        #expect(state.reply == nil)
        let canvas = AppView.render(state)
        #expect(canvas.contains("You recalled a message"))
        #expect(!canvas.contains("meet at 8?"))
        // Nothing left to select there: ↑ takes the one before.
        _ = press(.up, in: &state)
        #expect(state.selectedMessage?.id == 4)
    }

    // MARK: Copy, quote, read count

    @Test func copyGoesThroughTheTerminal() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        #expect(press(.up, .up, .character("y"), in: &state) == [.copyToClipboard(ScreenFixtures.bobMessages[2].text)])
        #expect(state.notice?.text == "Copied to the clipboard.")
        #expect(state.isSelectingMessage, "still selected, for another key")
    }

    @Test func goToTheQuotedMessageLoadedOrNot() {
        var state = F.teamState(width: 80, height: 24)
        // "Count me in" answers bob's "Hike on Saturday?", which is loaded.
        _ = press(.up, .up, in: &state)
        #expect(state.selectedMessage?.text == "Count me in")
        _ = press(.character("g"), in: &state)
        #expect(state.selectedMessage?.text == "Hike on Saturday?")
        #expect(state.isSelectingMessage)
        _ = press(.enter, in: &state)
        #expect(state.notice?.text == "This message is not a reply.")

        // Its original only in an older page: the pages load until it is here, then it is marked.
        var far = F.teamState(width: 80, height: 24)
        far.conversations[F.team]?.messages.removeAll { $0.seq < 5 }
        far.conversations[F.team]?.olderAvailable = true
        _ = press(.up, .up, in: &far)
        #expect(far.selectedMessage?.text == "Count me in")
        #expect(press(.character("g"), in: &far) == [.loadHistory(conversation: F.team, beforeSeq: 5)])
        #expect(far.conversations[F.team]?.revealSeq == 2)
        let page = Array(F.teamHistory.filter { $0.seq < 5 }.reversed())
        _ = far.apply(.historyLoaded(conversation: F.team, beforeSeq: 5, .success(page)))
        #expect(far.conversations[F.team]?.highlightedMessageID == 21)
        #expect(ChatPaneView.visibleMessageIDs(far).contains(21))
    }

    @Test func whoReadMyMessage() {
        var state = F.teamState(width: 80, height: 24)
        // My "I'll bring snacks" in the group: the server counts.
        #expect(press(.up, .character("i"), in: &state) == [.readCount(ScreenFixtures.teamID, seq: 8)])
        _ = state.apply(.finished(.success("Read by 2 of 4.")))
        #expect(AppView.render(state).contains("Read by 2 of 4."))
        // Someone else's: said, not asked.
        #expect(press(.up, .character("i"), in: &state).isEmpty)
        #expect(state.notice?.text == "Read counts are for your own messages.")

        // One-to-one, the ✓✓ in words.
        var direct = Self.withMyMessage(secondsAgo: 10)
        _ = press(.up, .character("i"), in: &direct)
        #expect(direct.notice?.text.hasPrefix("bob has not read it yet") == true)
        direct.chat?.conversations[F.bob.id]?.peerReadSeq = 5
        _ = press(.character("i"), in: &direct)
        #expect(direct.notice?.text == "bob has read it.")
    }

    // MARK: Typing

    @Test func typingSaysSoAtMostOnceASecond() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        #expect(press(.character("h"), in: &state) == [.sendTyping(Self.bob)])
        #expect(press(.character("i"), .left, in: &state).isEmpty)
        _ = state.apply(.tick(state.now.addingTimeInterval(1.5)))
        #expect(press(.left, in: &state).isEmpty, "the caret moved, the text did not change")
        #expect(press(.character("!"), in: &state) == [.sendTyping(Self.bob)])
        // Sent: the next key is a new burst.
        _ = press(.enter, in: &state)
        #expect(press(.character("a"), in: &state) == [.sendTyping(Self.bob)])
        // Deleting back to nothing says nothing.
        _ = state.apply(.tick(state.now.addingTimeInterval(5)))
        #expect(press(.backspace, in: &state).isEmpty)
        // Not to someone I blocked.
        state.chat?.friends[F.bob.id]?.blockedByMe = true
        _ = state.apply(.tick(state.now.addingTimeInterval(5)))
        #expect(press(.character("b"), in: &state).isEmpty)
    }
}
