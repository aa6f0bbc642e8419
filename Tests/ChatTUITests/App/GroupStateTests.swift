import ChatClient
import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// Groups in the app: keys and answers in, state and effects out. A group is reached, opened,
/// written to and jumped to as a friend is; the picker, the panel and mute do what they say.
@Suite struct GroupStateTests {
    init() { DisplayWidth.useUTF8Locale() }

    let team = ScreenFixtures.teamID
    var teamKey: ConversationKey { .group(team) }
    let bob = ScreenFixtures.bob.id
    let carol = ScreenFixtures.carol.id
    let dave = ScreenFixtures.dave.id

    func type(_ text: String, into state: inout AppState) {
        for character in text { _ = state.apply(.key(.character(character))) }
    }

    /// A message arriving in the group now.
    func arriving(from sender: UserSummary, _ text: String, mentioningMe: Bool = false) -> ChatMessage {
        var message = ScreenFixtures.teamMessage(99, from: sender, seq: 5, text, minutes: 9)
        if mentioningMe { message.mentions = [ScreenFixtures.alice.id] }
        return message
    }

    @Test func aGroupIsListedReachedAndOpenedAsAFriendIs() throws {
        var state = ScreenFixtures.groupState(width: 80, height: 24)
        #expect(state.visibleConversations.map(\.key) == [teamKey, .direct(bob), .direct(carol), .direct(dave)])
        #expect(state.visibleFriends.map(\.user.id) == [bob, carol, dave])
        // Alt-1: the first of the list, opened to be read.
        var effects = state.apply(.key(.alt("1")))
        #expect(state.selectedConversation == teamKey && state.selectedPeer == nil)
        #expect(effects.contains(.loadHistory(conversation: teamKey, beforeSeq: 0)))
        #expect(effects.contains(.markRead(teamKey)))
        #expect(state.conversations[teamKey]?.firstUnreadSeq == 2)
        // Ctrl-N goes on to bob's, the next row.
        _ = state.apply(.key(.control("n")))
        #expect(state.selectedPeer == bob)
        // The filter finds groups by name.
        state.focus = .friends
        _ = state.apply(.key(.character("/")))
        type("tea", into: &state)
        #expect(state.visibleConversations.map(\.key) == [teamKey])
        #expect(state.selectedConversation == teamKey)

        // A press on its row opens it.
        var clicked = ScreenFixtures.groupState(width: 80, height: 24)
        clicked.focus = .friends
        let canvas = AppView.render(clicked)
        clicked.hitMap = canvas.hitMap
        let row = try #require(canvas.lines.firstIndex { $0.contains("# team") })
        #expect(clicked.hitMap.target(atX: 5, y: row + 1) == .conversation(teamKey))
        effects = clicked.apply(.key(.mouse(MouseEvent(kind: .press, x: 5, y: row))))
        #expect(clicked.selectedConversation == teamKey && clicked.focus == .input)
        #expect(effects.contains(.markRead(teamKey)))
    }

    @Test func altAPutsAMentionFirstAndAMutedConversationLast() {
        var state = ScreenFixtures.groupState(width: 80, height: 24)
        state.chat?.groups[team]?.muted = true
        // From bob's, whose messages are unread too: the group's mention asks more.
        _ = state.apply(.key(.alt("a")))
        #expect(state.selectedConversation == teamKey)
        // Without the mention, a muted group waits behind bob's unread messages.
        state.chat?.groups[team]?.mentioned = false
        _ = state.select(.direct(carol))
        _ = state.apply(.key(.alt("a")))
        #expect(state.selectedPeer == bob)
        state.chat?.conversations[bob]?.readSeq = 4
        _ = state.apply(.key(.alt("a")))
        #expect(state.selectedConversation == teamKey)
    }

    @Test func aMutedConversationRingsOnlyForAMentionOfMe() {
        var state = ScreenFixtures.groupState(width: 80, height: 24)
        let erin = ScreenFixtures.erin
        func rang(_ message: ChatMessage) -> Bool {
            state.apply(.session(.message(message, live: true))).contains(.bell)
        }
        // Not muted: a message in the group rings, and the notification names group and sender.
        let effects = state.apply(.session(.message(arriving(from: erin, "who brings tea?"), live: true)))
        #expect(effects.contains(.bell))
        #expect(effects.contains(.notify(title: "team", body: "erin: who brings tea?")))
        // Muted: silent, unless it names me.
        state.chat?.groups[team]?.muted = true
        #expect(!rang(arriving(from: erin, "who brings tea?")))
        #expect(rang(arriving(from: erin, "@alice you?", mentioningMe: true)))
        // A group's own lines never ring.
        state.chat?.groups[team]?.muted = false
        var system = arriving(from: erin, "erin joined")
        system.kind = .system
        #expect(!rang(system))
        // A muted friend is silent too.
        _ = state.select(.direct(carol))
        state.chat?.conversations[bob]?.muted = true
        let fromBob = ScreenFixtures.message(50, from: ScreenFixtures.bob, to: ScreenFixtures.alice, seq: 5, "hi")
        #expect(!rang(fromBob))
    }

    @Test func muteAndTheMemberPaneFollowTheOpenConversation() {
        var state = ScreenFixtures.groupState(width: 80, height: 24)
        // On a friend's chat: mute works, the member pane is for groups and says so.
        #expect(state.apply(.key(.alt("n"))) == [.setMuted(.direct(bob), true)])
        #expect(state.apply(.key(.alt("m"))).isEmpty)
        #expect(!state.memberPaneOpen && state.notice?.text.contains("group") == true)
        _ = state.select(teamKey)
        state.chat?.groups[team]?.muted = true
        #expect(state.apply(.key(.alt("n"))) == [.setMuted(teamKey, false)])
        #expect(state.apply(.key(.alt("m"))) == [.loadGroup(team)])
        #expect(state.memberPaneOpen)
        // Open, it asks for the members of a group opened later, if they were never loaded.
        let other: GroupID = 8
        state.chat?.groups[other] = GroupConversation(
            group: GroupSummary(id: other, name: "family", ownerID: bob, memberCount: 3)
        )
        #expect(state.select(.group(other)).contains(.loadGroup(other)))
        #expect(!state.select(teamKey).contains(.loadGroup(team)))
    }

    @Test func aFriendsActionsSayNoPolitelyOnAGroup() {
        var state = ScreenFixtures.groupState(width: 80, height: 24)
        _ = state.select(teamKey)
        state.focus = .friends
        for key: Key in [.character("n"), .alt("b"), .delete] {
            state.notice = nil
            #expect(state.apply(.key(key)).isEmpty, "\(key.name)")
            #expect(state.overlay == nil, "\(key.name)")
            #expect(state.notice?.text.contains("for friends, not groups") == true, "\(key.name)")
        }
    }

    @Test func writingGoesToTheGroupAndNotToOneLeft() {
        var state = ScreenFixtures.groupState(width: 80, height: 24)
        type("for bob", into: &state)
        _ = state.select(teamKey)
        #expect(state.drafts[.direct(bob)] == "for bob" && state.input.isEmpty)
        type("hi all", into: &state)
        let sent = state.apply(.key(.enter)).compactMap { effect -> ConversationKey? in
            if case .send(let text, let to, _, _, _) = effect, text == "hi all" { return to }
            return nil
        }
        #expect(sent == [teamKey])
        // Left: the text stays, and the reason is said.
        state.chat?.groups[team]?.isMember = false
        type("still here?", into: &state)
        #expect(!state.apply(.key(.enter)).contains { if case .send = $0 { true } else { false } })
        #expect(state.input.text == "still here?")
        #expect(state.notice?.text.contains("no longer in team") == true)
        // A group not in the state yet (just made) stays open when the state arrives.
        _ = state.select(.group(42))
        _ = state.apply(.session(.stateChanged(state.chat!)))
        #expect(state.selectedConversation == .group(42))
    }

    @Test func theNewGroupPickerChecksWhatItSends() {
        var state = ScreenFixtures.groupState(width: 80, height: 24)
        _ = state.apply(.key(.alt("g")))
        func picker() -> FriendPicker? {
            if case .pickFriends(let picker) = state.overlay { return picker }
            return nil
        }
        // Nobody chosen: Enter says what to do.
        #expect(state.apply(.key(.enter)).isEmpty)
        #expect(picker()?.error?.contains("Space") == true && picker()?.step == .friends)
        // Space takes and drops; ↓ moves.
        _ = state.apply(.key(.character(" ")))
        _ = state.apply(.key(.down))
        _ = state.apply(.key(.character(" ")))
        _ = state.apply(.key(.up))
        _ = state.apply(.key(.character(" ")))
        #expect(picker()?.chosen == [carol])
        _ = state.apply(.key(.enter))
        #expect(picker()?.step == .name)
        // The name: not empty, not over the limit in bytes.
        #expect(state.apply(.key(.enter)).isEmpty)
        #expect(picker()?.error == "Give the group a name.")
        type(String(repeating: "名", count: ProtocolLimits.maxGroupNameBytes / 3 + 1), into: &state)
        #expect(state.apply(.key(.enter)).isEmpty)
        #expect(picker()?.error?.contains("too long") == true)
        // Esc steps back to the friends, the choice kept; again, it closes.
        _ = state.apply(.key(.escape))
        #expect(picker()?.step == .friends && picker()?.chosen == [carol])
        _ = state.apply(.key(.escape))
        #expect(state.overlay == nil)

        // Made: the picker closes and the new group opens, ready to write in.
        _ = state.apply(.key(.alt("g")))
        _ = state.apply(.key(.character(" ")))
        _ = state.apply(.key(.enter))
        type("  hikers ", into: &state)
        #expect(state.apply(.key(.enter)) == [.createGroup(name: "hikers", members: [bob])])
        let effects = state.apply(.groupCreated(.success(9)))
        #expect(state.overlay == nil && state.selectedConversation == .group(9) && state.focus == .input)
        #expect(effects.contains(.loadHistory(conversation: .group(9), beforeSeq: 0)))
    }

    @Test func theGroupPanelAsksTheServerAndShowsItsAnswer() {
        var state = ScreenFixtures.groupState(width: 80, height: 24)
        _ = state.select(teamKey)
        _ = state.apply(.key(.alt("i")))
        func panel() -> GroupInfoPanel? {
            if case .groupInfo(let panel) = state.overlay { return panel }
            return nil
        }
        // Members in the panel's order: alice (owner), bob, dave (online), carol, erin.
        #expect(state.members(of: team).map(\.user.id) == [ScreenFixtures.alice.id, bob, dave, carol, 6])
        _ = state.apply(.key(.down))
        _ = state.apply(.key(.down))
        // Remove dave: asked first; yes goes back to the panel, which waits for the answer.
        _ = state.apply(.key(.character("d")))
        guard case .confirm(let confirmation) = state.overlay else {
            Issue.record("no confirmation")
            return
        }
        #expect(confirmation.question == "Remove dave from team?")
        #expect(state.apply(.key(.character("y"))) == [.removeMember(dave, from: team)])
        #expect(panel()?.busy == true)
        let refusal = ChatError(.notGroupOwner, "Only the group's owner can remove members.")
        _ = state.apply(.groupChanged(team, .failure(refusal)))
        #expect(panel()?.error == refusal.message && panel()?.busy == false)
        #expect(AppView.render(state).contains(refusal.message))
        // Make dave the owner: any key but y says no, back in the panel.
        _ = state.apply(.key(.character("o")))
        #expect(state.apply(.key(.character("n"))).isEmpty)
        #expect(panel() != nil)
        // Rename: the field, then Enter.
        _ = state.apply(.key(.character("r")))
        _ = state.apply(.key(.control("u")))
        type("hikers", into: &state)
        #expect(state.apply(.key(.enter)) == [.renameGroup(team, to: "hikers")])
        _ = state.apply(.groupChanged(team, .success("Renamed.")))
        #expect(panel()?.editing == nil && state.notice?.text == "Renamed.")
        // Invite: friends not in it (dave, once he is out), then back to the panel.
        state.chat?.groupMembers[team]?.removeAll { $0.user.id == dave }
        _ = state.apply(.key(.character("i")))
        guard case .pickFriends(let picker) = state.overlay else {
            Issue.record("no picker")
            return
        }
        #expect(state.pickerCandidates(picker).map(\.user.id) == [dave])
        _ = state.apply(.key(.character(" ")))
        #expect(state.apply(.key(.enter)) == [.invite([dave], to: team)])
        _ = state.apply(.groupChanged(team, .success("Invited.")))
        #expect(panel() != nil)
        // Leave: asked first, with a word for the owner.
        _ = state.apply(.key(.character("l")))
        guard case .confirm(let leave) = state.overlay else {
            Issue.record("no confirmation")
            return
        }
        #expect(leave.question.hasPrefix("Leave team?") && leave.question.contains("hands it over"))
        #expect(state.apply(.key(.character("y"))) == [.leaveGroup(team)])
        #expect(state.overlay == nil)
    }
}
