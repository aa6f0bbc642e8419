import ChatClient
import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// "@" and Tab in a group: members' names offered (again: the next), "@all" to the owner only;
/// and on sending, the members a message names, as ids, from what was typed.
@Suite struct MentionsTests {
    init() { DisplayWidth.useUTF8Locale() }

    typealias F = MessageFixtures
    static let members =
        ScreenFixtures.groupState(width: 80, height: 24).chat?.groupMembers[ScreenFixtures.teamID] ?? []

    func type(_ text: String, into state: inout AppState) {
        for character in text { _ = state.apply(.key(.character(character))) }
    }

    // MARK: Candidates and extraction

    @Test func candidatesAreTheOtherMembersAndAllForTheOwner() {
        let alice = F.alice.id
        #expect(
            Mentions.candidates(members: Self.members, me: alice, isOwner: true)
                == ["@bob", "@carol", "@dave", "@erin", "@all"]
        )
        #expect(
            Mentions.candidates(members: Self.members, me: F.bob.id, isOwner: false) == [
                "@alice", "@carol", "@dave", "@erin",
            ]
        )
    }

    @Test func aMessageNamesMembersByTheirExactUsername() {
        func names(_ text: String, owner: Bool = false) -> ([UserID], Bool) {
            let found = Mentions.extract(from: text, members: Self.members, me: F.alice.id, isOwner: owner)
            return (found.ids, found.all)
        }
        let (bob, carol, erin) = (F.bob.id, F.carol.id, F.erin.id)
        #expect(names("@bob and @Erin, see you") == ([bob, erin], false), "any case; a comma is not a name")
        #expect(names("@erin. @carol! (@bob)") == ([erin, carol, bob], false), "punctuation around names")
        #expect(names("@bob @bob @BOB") == ([bob], false), "once each")
        #expect(names("@alice hello") == ([], false), "not me")
        #expect(names("mail bob@example.com or @nobody or @bo") == ([], false), "only whole members' names")
        #expect(names("@all the bus leaves", owner: true) == ([], true))
        #expect(names("@all the bus leaves") == ([], false), "@all is the owner's")
        #expect(names("@carol-") == ([carol], false))
        #expect(names("") == ([], false))
        #expect(names("@") == ([], false))
    }

    // MARK: In the input

    @Test func atAndTabCompleteMembersRoundAndRound() {
        var state = F.teamState(width: 80, height: 24)
        type("hi @", into: &state)
        var offered: [String] = []
        for _ in 0..<6 {
            _ = state.apply(.key(.tab))
            offered.append(state.input.text)
        }
        #expect(offered == ["hi @bob", "hi @carol", "hi @dave", "hi @erin", "hi @all", "hi @bob"])
        // A prefix narrows it; a word without "@" is a friend's name as before.
        state.input.clear()
        type("@e", into: &state)
        _ = state.apply(.key(.tab))
        #expect(state.input.text == "@erin")
        type(" and ca", into: &state)
        _ = state.apply(.key(.tab))
        #expect(state.input.text == "@erin and carol")
    }

    @Test func onlyTheOwnerIsOfferedAll() {
        var state = F.teamState(width: 80, height: 24)
        state.chat?.groups[ScreenFixtures.teamID]?.group.ownerID = F.bob.id
        type("@a", into: &state)
        _ = state.apply(.key(.tab))
        #expect(state.input.text == "@a", "no member starts with a but me, and @all is the owner's")
        #expect(state.notice?.text.contains("Tab completes names") == true)
    }

    @Test func oneToOneTabCompletesNamesOnly() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        type("@", into: &state)
        #expect(state.apply(.key(.tab)).isEmpty)
        #expect(state.input.text == "@")
        type(" ca", into: &state)
        _ = state.apply(.key(.tab))
        #expect(state.input.text == "@ carol")
    }

    @Test func membersNotLoadedYetAreAskedFor() {
        var state = F.teamState(width: 80, height: 24)
        state.chat?.groupMembers[ScreenFixtures.teamID] = nil
        type("@b", into: &state)
        #expect(state.apply(.key(.tab)) == [.loadGroup(ScreenFixtures.teamID)])
        state.chat?.groupMembers[ScreenFixtures.teamID] = Self.members
        _ = state.apply(.key(.tab))
        #expect(state.input.text == "@bob")
    }

    @Test func sendingCarriesTheMentionsAndTheReply() {
        var state = F.teamState(width: 80, height: 24)
        type("@bob @erin bring water; @all", into: &state)
        #expect(
            state.apply(.key(.enter)) == [
                .send(
                    text: "@bob @erin bring water; @all",
                    to: F.team,
                    mentions: [F.bob.id, F.erin.id],
                    mentionsAll: true
                )
            ]
        )
        // A reply to bob's message naming nobody.
        _ = state.apply(.key(.up))
        _ = state.apply(.key(.up))
        _ = state.apply(.key(.up))
        #expect(state.selectedMessage?.text == "@alice bring the map 🗺")
        _ = state.apply(.key(.character("r")))
        type("ok", into: &state)
        #expect(state.apply(.key(.enter)) == [.send(text: "ok", to: F.team, replyTo: 4)])
    }
}
