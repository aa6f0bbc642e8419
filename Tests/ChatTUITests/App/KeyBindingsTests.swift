import ChatClient
import Testing

@testable import ChatTUI

/// Help and behaviour come from one table; these press every key help lists and check that it
/// does what help says, and that no key is claimed twice where both claims would apply.
@Suite struct KeyBindingsTests {
    init() { DisplayWidth.useUTF8Locale() }

    @Test func noKeyIsClaimedTwice() {
        let table = KeyBindings.standard
        #expect(table.clashes.isEmpty, "\(table.clashes.map { "\($0.0.name): \($0.1.command) and \($0.2.command)" })")
        // A main-screen key is seen before the input line's: it must not be an editing key
        // (Ctrl-F once opened "Find people" while help promised "forward a character").
        let editingKeys = Set(LineEditor.bindings.flatMap(\.keys))
        for binding in table.bindings where binding.context == .main || binding.context == .app {
            for key in binding.keys {
                #expect(!editingKeys.contains(key), "\(key.name) is both \(binding.command) and an editing key")
            }
        }
        // Nor may a key that begins a sequence (Ctrl-X): it waits for the next key instead.
        for binding in table.bindings {
            if let prefix = binding.prefix {
                #expect(!editingKeys.contains(prefix), "\(prefix.name) begins \(binding.command) and is an editing key")
            }
        }
        let editing = LineEditor.bindings.flatMap(\.keys)
        #expect(editing.count == Set(editing).count, "an editing key is bound twice")
        #expect(Set(table.bindings.map(\.command)) == Set(Command.allCases), "a command no key reaches")
        #expect(Set(LineEditor.bindings.map(\.edit)) == Set(LineEditor.Edit.allCases), "an edit no key reaches")
    }

    @Test func aClashIsFound() {
        var bindings = KeyBindings.standard.bindings
        bindings.append(.init(command: .findPeople, context: .input, keys: [.function(1)], summary: "clash"))
        #expect(KeyBindings(bindings).clashes.count == 1)
        // A key that begins a sequence, bound alone as well, would make the sequence unreachable.
        var shadowing = KeyBindings.standard.bindings
        shadowing.append(.init(command: .help, context: .main, keys: [.control("x")], summary: "clash"))
        #expect(KeyBindings(shadowing).clashes.map { $0.0 } == [.control("x")])
    }

    /// Every key help lists, pressed where it applies, does what its command says.
    @Test func everyKeyInTheTableDoesWhatHelpSays() {
        for binding in KeyBindings.standard.bindings {
            for key in binding.keys {
                let focuses: [AppState.Focus] =
                    switch binding.context {
                    case .app, .main: [.input, .friends]
                    case .friendList: [.friends]
                    case .input, .messages: [.input]
                    }
                for focus in focuses {
                    check(binding.command, key: key, after: binding.prefix, focus: focus)
                }
            }
        }
    }

    func check(_ command: Command, key: Key, after prefix: Key? = nil, focus: AppState.Focus) {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.focus = focus
        let bob = ScreenFixtures.bob.id
        let carol = ScreenFixtures.carol.id
        // Set-up some commands need to show a change.
        switch command {
        case .previousConversation, .friendUp, .nextUnread: _ = state.select(.direct(carol))
        case .scrollNewer, .jumpToLatest: state.conversations[.direct(bob)]?.scrollOffset = 3
        case .scrollOlder: state.conversations[.direct(bob)]?.olderAvailable = true
        case .completeName: state.input.setText("hi ca")
        case .composeInEditor: state.input.setText("a draft")
        case .groupMembers, .groupInfo:
            state = ScreenFixtures.groupState(width: 80, height: 24)
            state.focus = focus
            _ = state.select(.group(ScreenFixtures.teamID))
        // A selected message: the newest of bob's ("Still there?"), or in the group the reply
        // "Count me in", or my own "I'll bring snacks", or one of mine young enough to recall.
        case .olderMessage, .stopSelecting, .replyToMessage, .copyMessage: _ = state.apply(.key(.up))
        case .newerMessage:
            _ = state.apply(.key(.up))
            _ = state.apply(.key(.up))
        case .cancelReply:
            _ = state.apply(.key(.up))
            _ = state.apply(.key(.character("r")))
        case .jumpToQuote:
            state = MessageFixtures.teamState(width: 80, height: 24)
            _ = state.apply(.key(.up))
            _ = state.apply(.key(.up))
        case .readCount:
            state = MessageFixtures.teamState(width: 80, height: 24)
            _ = state.apply(.key(.up))
        case .recallMessage:
            var mine = ScreenFixtures.message(50, from: ScreenFixtures.alice, to: ScreenFixtures.bob, seq: 5, "oops")
            mine.sentAtMs = Int64(state.now.timeIntervalSince1970 * 1000) - 10_000
            state.conversations[.direct(bob)]?.merge([mine])
            _ = state.apply(.key(.up))
        default: break
        }
        let before = state
        if let prefix {
            // The first key of a sequence does nothing yet.
            #expect(state.apply(.key(prefix)).isEmpty && state.input == before.input, "\(prefix.name)")
        }
        let effects = state.apply(.key(key))
        let what = "\(key.name) (\(command), focus \(focus))"
        switch command {
        case .quit: #expect(state.quitRequested, "\(what)")
        case .redraw, .suspend:
            // The app loop acts on these; the state must not take them as text or anything else.
            #expect(effects.isEmpty && state.input == before.input && state.overlay == nil, "\(what)")
        case .help: #expect(state.overlay == .help, "\(what)")
        case .findPeople: #expect(state.overlay == .findUser(FindUser()), "\(what)")
        case .friendRequests: #expect(state.overlay == .requests(RequestsPanel()), "\(what)")
        case .searchMessages: #expect(state.overlay == .search(MessageSearch()), "\(what)")
        case .searchConversation:
            #expect(state.overlay == .search(MessageSearch(conversation: .direct(bob))), "\(what)")
        case .chooseTheme:
            guard case .themes = state.overlay else {
                Issue.record("\(what): no theme picker")
                return
            }
        case .signOut:
            #expect(
                state.overlay == .confirm(Confirmation(question: "Sign out of alice?", action: .signOut)),
                "\(what)"
            )
        case .nextConversation, .friendDown: #expect(state.selectedPeer == carol, "\(what)")
        case .previousConversation, .friendUp: #expect(state.selectedPeer == bob, "\(what)")
        case .nextUnread:
            // From carol's, bob's is the next with unread messages, opened to be read.
            #expect(state.selectedPeer == bob && state.focus == .input, "\(what)")
            #expect(effects.contains(.markRead(.direct(bob))), "\(what)")
        case .conversation1, .conversation2, .conversation3, .conversation4, .conversation5, .conversation6,
            .conversation7, .conversation8, .conversation9:
            let list = before.visibleFriends.map(\.user.id)
            let number = command.conversationNumber ?? 0
            if number >= 1, number <= list.count {
                #expect(state.selectedPeer == list[number - 1] && state.focus == .input, "\(what)")
            } else {
                #expect(state.selectedPeer == before.selectedPeer && effects.isEmpty, "\(what)")
            }
        case .scrollOlder: #expect(effects.contains { if case .loadHistory = $0 { true } else { false } }, "\(what)")
        case .scrollNewer: #expect(state.conversations[.direct(bob)]?.scrollOffset == 0, "\(what)")
        case .jumpToLatest: #expect(state.conversations[.direct(bob)]?.scrollOffset == 0, "\(what)")
        case .switchFocus: #expect(state.focus != focus, "\(what)")
        case .backToInput: #expect(state.focus == .input, "\(what)")
        case .filterFriends: #expect(state.friendFilter != nil, "\(what)")
        case .setRemark:
            guard case .remark = state.overlay else {
                Issue.record("\(what): no remark editor")
                return
            }
        case .toggleBlock:
            guard case .confirm(let confirmation) = state.overlay, case .block = confirmation.action else {
                Issue.record("\(what): no block confirmation")
                return
            }
        case .removeFriend:
            guard case .confirm(let confirmation) = state.overlay, case .removeFriend = confirmation.action else {
                Issue.record("\(what): no remove confirmation")
                return
            }
        case .completeName: #expect(state.input.text == "hi carol", "\(what)")
        case .composeInEditor:
            #expect(effects == [.composeInEditor(draft: "a draft", conversation: .direct(bob))], "\(what)")
            #expect(state.input.text == "a draft", "\(what)")
        case .exportConversation:
            let names = [ScreenFixtures.alice.id: "alice", bob: "bob"]
            #expect(
                effects == [.exportConversation(conversation: .direct(bob), fileStem: "bob", names: names)],
                "\(what)"
            )
        case .newGroup: #expect(state.overlay == .pickFriends(FriendPicker(purpose: .newGroup)), "\(what)")
        case .groupMembers:
            #expect(state.memberPaneOpen && effects == [.loadGroup(ScreenFixtures.teamID)], "\(what)")
        case .groupInfo:
            #expect(state.overlay == .groupInfo(GroupInfoPanel(group: ScreenFixtures.teamID)), "\(what)")
            #expect(effects == [.loadGroup(ScreenFixtures.teamID)], "\(what)")
        case .mute: #expect(effects == [.setMuted(.direct(bob), true)], "\(what)")
        case .readReceipts: #expect(effects == [.setSendsReadReceipts(false)], "\(what)")
        case .selectMessage: #expect(state.isSelectingMessage && state.selectedMessage?.id == 4, "\(what)")
        case .olderMessage: #expect(state.selectedMessage?.id == 3, "\(what)")
        case .newerMessage: #expect(state.selectedMessage?.id == 4, "\(what)")
        case .stopSelecting: #expect(!state.isSelectingMessage && state.input == before.input, "\(what)")
        case .replyToMessage: #expect(state.activeReply?.seq == 4 && !state.isSelectingMessage, "\(what)")
        case .cancelReply: #expect(before.activeReply != nil && state.reply == nil, "\(what)")
        case .copyMessage: #expect(effects == [.copyToClipboard("Still there?")], "\(what)")
        case .jumpToQuote: #expect(state.selectedMessage?.text == "Hike on Saturday?", "\(what)")
        case .readCount: #expect(effects == [.readCount(ScreenFixtures.teamID, seq: 8)], "\(what)")
        case .recallMessage:
            guard case .confirm(let confirmation) = state.overlay, confirmation.action == .recall(.direct(bob), seq: 5)
            else {
                Issue.record("\(what): no recall confirmation")
                return
            }
        }
    }

    /// Every editing key help lists, pressed in "hello wor|ld" (caret before "ld").
    @Test func everyEditingKeyDoesWhatHelpSays() {
        for binding in LineEditor.bindings {
            for key in binding.keys {
                var editor = LineEditor()
                editor.setText("sent before")
                _ = editor.handle(.enter)
                for character in "hello world" { _ = editor.handle(.character(character)) }
                _ = editor.handle(.left)
                _ = editor.handle(.left)
                _ = editor.handle(.control("w"))  // kills "wor", for yank
                for character in "wor" { _ = editor.handle(.character(character)) }
                let outcome = editor.handle(key)
                let what = "\(key.name) (\(binding.edit))"
                let expected: (text: String, cursor: Int)
                switch binding.edit {
                case .send:
                    #expect(outcome == .submitted("hello world"), "\(what)")
                    expected = ("", 0)
                case .newLine: expected = ("hello wor\nld", 10)
                case .historyBack: expected = ("sent before", 11)
                case .historyForward: expected = ("hello world", 9)
                case .lineStart: expected = ("hello world", 0)
                case .lineEnd: expected = ("hello world", 11)
                case .charBack: expected = ("hello world", 8)
                case .charForward: expected = ("hello world", 10)
                case .wordBack: expected = ("hello world", 6)
                case .wordForward: expected = ("hello world", 11)
                case .killToLineStart: expected = ("ld", 0)
                case .killToLineEnd: expected = ("hello wor", 9)
                case .killWordBack: expected = ("hello ld", 6)
                case .killWordForward: expected = ("hello wor", 9)
                case .yank: expected = ("hello worworld", 12)
                case .deleteBack: expected = ("hello wold", 8)
                case .deleteForward: expected = ("hello word", 9)
                case .transpose: expected = ("hello wolrd", 10)
                }
                #expect(editor.text == expected.text, "\(what): \(editor.text)")
                #expect(editor.cursor == expected.cursor, "\(what): caret \(editor.cursor)")
            }
        }
    }
}
