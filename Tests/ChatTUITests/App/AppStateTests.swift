import ChatClient
import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// Keys in, state and effects out: the update function without any terminal.
@Suite struct AppStateTests {
    init() { DisplayWidth.useUTF8Locale() }

    func type(_ text: String, into state: inout AppState) {
        for character in text { _ = state.apply(.key(.character(character))) }
    }

    /// The main screen of alice, whose first catch-up has listed her friends bob and carol.
    static func signedInCatchingUp() -> (AppState, ChatState) {
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        state.screen = .main
        var chat = ChatState(me: ScreenFixtures.alice)
        chat.connection = .connecting
        chat.friends = [ScreenFixtures.bob, ScreenFixtures.carol].reduce(into: [:]) {
            $0[$1.id] = Friend(user: $1, online: true)
        }
        return (state, chat)
    }

    /// A start without a cache lists friends before their last messages. The chat shown follows
    /// the list's top entry until the catch-up ends, marks nothing read before then, and stays
    /// where it is afterwards.
    @Test func theChatShownFollowsTheTopEntryUntilTheCatchUpEnds() {
        let (alice, bob, carol) = (ScreenFixtures.alice, ScreenFixtures.bob, ScreenFixtures.carol)
        var (state, chat) = Self.signedInCatchingUp()
        _ = state.apply(.session(.stateChanged(chat)))
        #expect(state.selectedConversation == .direct(bob.id))

        // Carol's last message is listed: she is on top, and hers is the chat shown, still unread.
        let fromCarol = ScreenFixtures.message(9, from: carol, to: alice, seq: 1, "hi", minutes: 5)
        chat.conversations[carol.id] = Conversation(peerID: carol.id, lastMessage: fromCarol, lastSeq: 1)
        var effects = state.apply(.session(.stateChanged(chat)))
        #expect(state.selectedConversation == .direct(carol.id))
        #expect(!effects.contains(.markRead(.direct(carol.id))))
        #expect(effects.contains(.loadHistory(conversation: .direct(carol.id), beforeSeq: 0)))

        // A group with a newer message: it is shown, its members not asked for yet (the server
        // would refuse that before the catch-up ends).
        let team = ScreenFixtures.teamID
        chat.groups[team] = GroupConversation(
            group: GroupSummary(id: team, name: "team", ownerID: bob.id, memberCount: 3),
            lastMessage: ScreenFixtures.teamMessage(20, from: bob, seq: 1, "hike?", minutes: 7),
            lastSeq: 1,
            readSeq: 0,
            unread: 1
        )
        effects = state.apply(.session(.stateChanged(chat)))
        #expect(state.selectedConversation == .group(team))
        #expect(effects == [.loadHistory(conversation: .group(team), beforeSeq: 0)])

        // Caught up: read now that it is the one, its members asked for, and it stays open when
        // bob writes.
        chat.connection = .connected(server: "127.0.0.1:8090")
        effects = state.apply(.session(.stateChanged(chat)))
        #expect(effects == [.markRead(.group(team)), .loadGroup(team)])
        let fromBob = ScreenFixtures.message(10, from: bob, to: alice, seq: 1, "later", minutes: 9)
        chat.conversations[bob.id] = Conversation(peerID: bob.id, lastMessage: fromBob, lastSeq: 1)
        effects = state.apply(.session(.stateChanged(chat)))
        #expect(state.selectedConversation == .group(team))
        #expect(!effects.contains(.markRead(.direct(bob.id))))
    }

    /// The user's first key makes the chat shown theirs: a catch-up that then puts another
    /// conversation on top does not take it away, and what is on screen is marked read.
    @Test func aKeyBeforeTheCatchUpEndsKeepsTheChatShown() {
        let (alice, bob, carol) = (ScreenFixtures.alice, ScreenFixtures.bob, ScreenFixtures.carol)
        var (state, chat) = Self.signedInCatchingUp()
        let fromBob = ScreenFixtures.message(9, from: bob, to: alice, seq: 1, "hi", minutes: 5)
        chat.conversations[bob.id] = Conversation(peerID: bob.id, lastMessage: fromBob, lastSeq: 1)
        _ = state.apply(.session(.stateChanged(chat)))
        #expect(state.selectedConversation == .direct(bob.id))
        #expect(state.apply(.key(.pageUp)).first == .markRead(.direct(bob.id)))

        let fromCarol = ScreenFixtures.message(10, from: carol, to: alice, seq: 1, "newer", minutes: 9)
        chat.conversations[carol.id] = Conversation(peerID: carol.id, lastMessage: fromCarol, lastSeq: 1)
        chat.connection = .connected(server: "127.0.0.1:8090")
        _ = state.apply(.session(.stateChanged(chat)))
        #expect(state.selectedConversation == .direct(bob.id))
    }

    @Test func onlyCodesThisScreenAskedForAreShown() {
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        // Someone else's reset code arrives in the demo server's mailbox: never shown.
        _ = state.apply(.devMail(email: "victim@example.com", code: "111111"))
        #expect(state.devMail.isEmpty)
        #expect(!AppView.render(state).contains("111111"))

        // This screen asks for a code for its own address: that one is shown, whatever its case.
        _ = state.apply(.key(.function(2)))
        type("newbie", into: &state)
        _ = state.apply(.key(.tab))
        type("Newbie@Example.com", into: &state)
        #expect(state.apply(.key(.function(5))) == [.requestCode(email: "Newbie@Example.com", purpose: .register)])
        _ = state.apply(.devMail(email: "newbie@example.com", code: "222222"))
        _ = state.apply(.devMail(email: "victim@example.com", code: "333333"))
        #expect(state.devMail == [DevMailEntry(email: "newbie@example.com", code: "222222")])
        let screen = AppView.render(state)
        #expect(screen.contains("222222"))
        #expect(!screen.contains("333333") && !screen.contains("victim"))
    }

    @Test func afterAPasswordResetTheSignInFormHasTheAddressAndNoOldPassword() {
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        type("alice", into: &state)
        _ = state.apply(.key(.tab))
        type("old password", into: &state)
        _ = state.apply(.key(.function(3)))
        #expect(state.screen == .resetPassword)
        state.reset.email.setText("alice@example.com")
        _ = state.apply(.passwordReset(.success("alice@example.com")))
        #expect(state.screen == .signIn)
        #expect(state.signIn.account.text == "alice@example.com")
        #expect(state.signIn.password.text.isEmpty)
        #expect(state.signIn.focus == 1)
        #expect(AppView.render(state).contains("Password changed. Sign in with the new one."))
        // It stays until the next try.
        type("new password", into: &state)
        _ = state.apply(.key(.enter))
        #expect(state.signIn.info == nil)
    }

    @Test func escapeFromTheThemePickerUndoesThePreview() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.themeNames = ["default", "light", "wechat"]
        _ = state.apply(.key(.function(2)))
        guard case .themes(let picker) = state.overlay else {
            Issue.record("F2 did not open the theme picker")
            return
        }
        let original = picker.original
        #expect(original != nil)
        // Moving previews; Esc goes back to the theme it opened with.
        let preview = state.apply(.key(.down))
        #expect(preview.count == 1)
        #expect(state.apply(.key(.escape)) == [.loadTheme(original!)])
        #expect(state.overlay == nil)
        // Esc without moving changes nothing.
        _ = state.apply(.key(.function(2)))
        #expect(state.apply(.key(.escape)).isEmpty)
        // Enter keeps the choice.
        _ = state.apply(.key(.function(2)))
        _ = state.apply(.key(.down))
        guard case .themes(let chosen) = state.overlay else { return }
        let name = state.themeNames[chosen.selected]
        #expect(state.apply(.key(.enter)) == [.saveTheme(name), .loadTheme(name)])
    }

    @Test func enterSendsToTheSelectedFriendAndPastesStayWhole() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        type("你好 🙂", into: &state)
        #expect(state.apply(.key(.enter)) == [.send(text: "你好 🙂", to: .direct(ScreenFixtures.bob.id))])
        #expect(state.input.isEmpty)
        // A paste with newlines is one message; Alt-Enter adds a line.
        _ = state.apply(.key(.paste("line one\nline two")))
        _ = state.apply(.key(.altEnter))
        type("three", into: &state)
        #expect(
            state.apply(.key(.enter)) == [.send(text: "line one\nline two\nthree", to: .direct(ScreenFixtures.bob.id))]
        )
        // Up on an empty line selects a message; where there is none it recalls what was sent.
        _ = state.apply(.key(.up))
        #expect(state.isSelectingMessage && state.input.isEmpty)
        _ = state.apply(.key(.escape))
        state.conversations[.direct(ScreenFixtures.bob.id)]?.messages = []
        _ = state.apply(.key(.up))
        #expect(state.input.text == "line one\nline two\nthree")
    }

    @Test func friendListNavigationFilterAndActions() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = state.apply(.key(.backTab))
        #expect(state.focus == .friends)
        // Sorted by latest activity: bob, carol, then dave (no messages).
        #expect(state.visibleFriends.map(\.user.username) == ["bob", "carol", "dave"])
        let effects = state.apply(.key(.down))
        #expect(state.selectedPeer == ScreenFixtures.carol.id)
        #expect(effects.contains(.loadHistory(conversation: .direct(ScreenFixtures.carol.id), beforeSeq: 0)))
        _ = state.apply(.key(.character("/")))
        type("da", into: &state)
        #expect(state.visibleFriends.map(\.user.username) == ["dave"])
        #expect(state.selectedPeer == ScreenFixtures.dave.id)
        _ = state.apply(.key(.escape))
        #expect(state.friendFilter == nil)
        // Letters that can be typed as text act on nobody.
        for letter in "xbXB" { #expect(state.apply(.key(.character(letter))).isEmpty) }
        #expect(state.overlay == nil)
        // Remove (Del) asks first; any key but y keeps the friend, Enter included; y removes.
        _ = state.apply(.key(.delete))
        guard case .confirm = state.overlay else {
            Issue.record("no confirmation")
            return
        }
        #expect(state.apply(.key(.character("n"))).isEmpty)
        #expect(state.overlay == nil)
        _ = state.apply(.key(.delete))
        #expect(state.apply(.key(.enter)).isEmpty, "Enter answers no")
        #expect(state.overlay == nil)
        _ = state.apply(.key(.delete))
        #expect(state.apply(.key(.character("y"))) == [.removeFriend(ScreenFixtures.dave.id)])
        _ = state.apply(.key(.alt("b")))
        #expect(state.apply(.key(.character("y"))) == [.setBlocked(ScreenFixtures.dave.id, true)])
        _ = state.apply(.key(.character("n")))
        type("D", into: &state)
        #expect(state.apply(.key(.enter)) == [.setRemark(ScreenFixtures.dave.id, "D")])
    }

    /// Skimming the friend list previews each chat without marking it read; going back to the
    /// input marks the one left open. (Once j/k cleared every unread badge on the way.)
    @Test func skimmingTheFriendListMarksNothingRead() throws {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.chat?.conversations[ScreenFixtures.dave.id] = Conversation(
            peerID: ScreenFixtures.dave.id,
            lastMessage: nil,
            lastSeq: 3,
            readSeq: 0
        )
        var effects = state.perform(.switchFocus)
        for _ in 0..<3 { effects += state.perform(.friendDown) }
        for _ in 0..<3 { effects += state.perform(.friendUp) }
        #expect(!effects.contains { if case .markRead = $0 { true } else { false } }, "\(effects)")
        // A message arriving for the previewed chat leaves it unread too.
        let peer = try #require(state.selectedPeer)
        let arriving = ChatMessage(
            id: 99,
            clientMessageID: "x",
            senderID: peer,
            recipientID: ScreenFixtures.alice.id,
            seq: 9,
            text: "hi",
            sentAtMs: 0
        )
        #expect(!state.apply(.session(.message(arriving, live: true))).contains(.markRead(.direct(peer))))
        state.chat?.conversations[peer]?.lastSeq = 9
        #expect(state.perform(.switchFocus) == [.markRead(.direct(peer))])
    }

    /// A refused message comes back: into the input when its chat is open, otherwise into that
    /// chat's draft; nothing typed since is lost. (Once it vanished with a brief notice.)
    @Test func aRefusedMessageComesBackToBeEdited() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let bob = ScreenFixtures.bob.id
        let refusal = ChatError(.payloadTooLarge, "The message is too long.")
        _ = state.apply(.session(.messageRefused(conversation: .direct(bob), text: "a long text", refusal)))
        #expect(state.input.text == "a long text")
        #expect(state.notice?.text.hasPrefix("Kept in the input, not sent to bob: ") == true)
        type("xy", into: &state)
        _ = state.apply(
            .session(.messageRefused(conversation: .direct(ScreenFixtures.dave.id), text: "to dave", refusal))
        )
        #expect(state.input.text == "a long textxy", "the open chat's input is left alone")
        #expect(state.notice?.text.hasPrefix("Kept as dave's draft, not sent to dave: ") == true)
        _ = state.select(.direct(ScreenFixtures.dave.id))
        #expect(state.input.text == "to dave")
    }

    /// Tab and Esc typed while writing, then letters: they stay text, and nobody is blocked or
    /// removed (once `ok`, Tab, `bye` blocked a friend: Tab moved to the friend list, b asked,
    /// y confirmed).
    @Test func tabAndEscWhileTypingNeverReachTheFriendList() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        var effects: [Effect] = []
        for key: Key in [
            .character("o"), .character("k"), .tab, .character("b"), .character("y"), .character("e"),
            .escape, .character("x"), .character("y"), .escape, .character("b"), .character("y"),
        ] {
            effects += state.apply(.key(key))
        }
        // Telling bob "alice is typing…" is all the keys did.
        #expect(effects == [.sendTyping(.direct(ScreenFixtures.bob.id))])
        #expect(state.focus == .input)
        #expect(state.overlay == nil)
        #expect(state.input.text == "okbyexyby")
        // Sign out asks, and only y says yes.
        _ = state.apply(.key(.control("o")))
        #expect(state.apply(.key(.enter)).isEmpty)
        #expect(state.overlay == nil)
        _ = state.apply(.key(.control("o")))
        #expect(state.apply(.key(.character("y"))) == [.signOut])
    }

    /// Text typed to one friend stays with that friend: switching conversations keeps a draft
    /// each, and the friend list marks it (once, text typed to dave went to bob).
    @Test func eachConversationKeepsItsOwnDraft() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        #expect(state.selectedPeer == ScreenFixtures.bob.id)
        type("for bob", into: &state)
        _ = state.apply(.key(.control("n")))
        #expect(state.selectedPeer == ScreenFixtures.carol.id)
        #expect(state.input.text.isEmpty)
        type("for carol", into: &state)
        _ = state.apply(.key(.control("p")))
        #expect(state.input.text == "for bob")
        #expect(state.drafts == [.direct(ScreenFixtures.carol.id): "for carol"])
        #expect(AppView.render(state).contains("[Draft] for c"))
        #expect(state.apply(.key(.enter)) == [.send(text: "for bob", to: .direct(ScreenFixtures.bob.id))])
        _ = state.apply(.key(.control("n")))
        #expect(state.input.text == "for carol")
        #expect(state.apply(.key(.enter)) == [.send(text: "for carol", to: .direct(ScreenFixtures.carol.id))])
        #expect(state.drafts.isEmpty)
    }

    @Test func tabCompletesFriendNamesAndCycles() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        type("hi ca", into: &state)
        _ = state.apply(.key(.tab))
        #expect(state.input.text == "hi carol")
        _ = state.apply(.key(.tab))
        #expect(state.input.text == "hi Carol 🎨")
        _ = state.apply(.key(.tab))
        #expect(state.input.text == "hi carol")
        // Typing ends the cycle; a word nothing matches is left alone, with a hint.
        type(" zz", into: &state)
        _ = state.apply(.key(.tab))
        #expect(state.input.text == "hi carol zz")
        #expect(state.notice?.text.contains("Shift-Tab") == true)
        #expect(state.focus == .input)
    }

    @Test func requestsPanelAcceptsAndRejects() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = state.apply(.key(.control("r")))
        #expect(state.apply(.key(.character("a"))) == [.respondToRequest(from: 5, accept: true)])
        #expect(state.apply(.key(.character("r"))) == [.respondToRequest(from: 5, accept: false)])
        _ = state.apply(.key(.escape))
        #expect(state.overlay == nil)
    }

    @Test func findPeopleThenSendARequestWithAGreeting() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = state.apply(.key(.function(3)))
        type("frank", into: &state)
        #expect(state.apply(.key(.enter)) == [.findUsers("frank")])
        _ = state.apply(.usersFound(query: "frank", .success([UserSummary(id: 9, username: "frank")])))
        _ = state.apply(.key(.enter))
        let effects = state.apply(.key(.enter))
        #expect(effects == [.sendFriendRequest(to: 9, message: "Hi, I'm alice!")])
    }

    /// Whether others may find me by my email is asked where people look for others.
    @Test func altETogglesBeingFindableByEmailFromFindPeople() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = state.apply(.key(.function(3)))
        #expect(state.apply(.key(.alt("e"))) == [.setFindableByEmail(true)])
        state.chat?.findableByEmail = true
        #expect(state.apply(.key(.alt("e"))) == [.setFindableByEmail(false)])
        #expect(AppView.render(state).contains("find you by your email: on · Alt-E to turn it off"))
    }

    @Test func newMessagesElsewhereRingAndNotify() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let fromCarol = ScreenFixtures.message(20, from: ScreenFixtures.carol, to: ScreenFixtures.alice, seq: 2, "ping")
        let effects = state.apply(.session(.message(fromCarol, live: true)))
        #expect(effects.contains(.bell))
        #expect(effects.contains(.notify(title: "Carol 🎨", body: "ping")))
        // In the open conversation: no bell, but it is marked read.
        let fromBob = ScreenFixtures.message(21, from: ScreenFixtures.bob, to: ScreenFixtures.alice, seq: 5, "here")
        #expect(state.apply(.session(.message(fromBob, live: true))) == [.markRead(.direct(ScreenFixtures.bob.id))])
        // Replayed by a sync: no bell.
        let old = ScreenFixtures.message(22, from: ScreenFixtures.carol, to: ScreenFixtures.alice, seq: 3, "old")
        #expect(state.apply(.session(.message(old, live: false))).isEmpty)
        #expect(state.conversations[.direct(ScreenFixtures.bob.id)]?.messages.last?.text == "here")
    }

    @Test func pagingUpAsksForOlderMessagesOnce() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.conversations[.direct(ScreenFixtures.bob.id)]?.olderAvailable = true
        let effects = state.apply(.key(.pageUp))
        #expect(effects == [.loadHistory(conversation: .direct(ScreenFixtures.bob.id), beforeSeq: 1)])
        #expect(state.apply(.key(.pageUp)).isEmpty, "one request at a time")
        _ = state.apply(.historyLoaded(conversation: .direct(ScreenFixtures.bob.id), beforeSeq: 1, .success([])))
        #expect(state.conversations[.direct(ScreenFixtures.bob.id)]?.olderAvailable == false)
        _ = state.apply(.key(.control("g")))
        #expect(state.conversations[.direct(ScreenFixtures.bob.id)]?.scrollOffset == 0)
    }

    @Test func signInFlow() {
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        #expect(state.apply(.key(.enter)).isEmpty)
        #expect(state.signIn.focus == 1)
        #expect(state.apply(.key(.enter)).isEmpty)
        #expect(state.signIn.error != nil)
        _ = state.apply(.key(.backTab))
        type("alice", into: &state)
        _ = state.apply(.key(.enter))
        type("correct horse", into: &state)
        #expect(state.apply(.key(.enter)) == [.signIn(account: "alice", password: "correct horse")])
        #expect(state.signIn.busy)
        _ = state.apply(.signedIn(.failure(.init(.invalidCredentials, "Wrong username, email or password."))))
        #expect(state.signIn.error == "Wrong username, email or password.")
        #expect(!state.signIn.busy)
    }
}
