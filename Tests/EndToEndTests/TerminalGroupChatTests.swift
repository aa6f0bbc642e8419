import ChatClient
import Foundation
import Testing

/// Three people in a group, each in `wechat` in a tmux terminal against a real stack: a mention
/// completed with Tab stands out on the screen of the one it names, a reply shows its quote on
/// everyone's, who is typing shows, and a recall takes the text off every screen.
@Suite(.serialized) struct TerminalGroupChatTests {
    static let people = ["alice", "bob", "carol"]

    /// Signs in through the sign-in screen, as a person would.
    static func signIn(_ username: String, in terminal: TmuxSession) async throws {
        try await terminal.waitFor("WeChat — sign in")
        try terminal.type(username)
        try await terminal.press("Tab")
        try terminal.type("correct horse")
        try await terminal.press("Enter")
        try await terminal.waitFor("● connected", timeout: 30)
    }

    /// The screen's row that shows `text`, with its colours and attributes as escape sequences.
    static func styledRow(with text: String, in terminal: TmuxSession) throws -> String? {
        try terminal.tmux(["capture-pane", "-p", "-e", "-t", terminal.name])
            .split(separator: "\n")
            .first { $0.contains(text) }
            .map(String.init)
    }

    @Test func threePeopleMentionReplyAndRecallInAGroup() async throws {
        try await withTestStack { stack in
            // They are friends of each other, and alice makes the group (through the protocol,
            // as the picker would): the terminals open on it.
            let sessions = try await Self.people.asyncMap { try await stack.user($0) }
            try await stack.befriend(sessions[0], sessions[1])
            try await stack.befriend(sessions[0], sessions[2])
            try await stack.befriend(sessions[1], sessions[2])
            let ids = await sessions.asyncMap { await $0.state.me.id }
            let raw = try await RawClient.connect(stack: stack, token: sessions[0].credentials.token)
            _ = try await GroupChatTests.create(on: raw, "hikers", members: [ids[1], ids[2]])
            await raw.close()
            for session in sessions { await session.stop() }

            let terminals = try Self.people.map { _ in try TmuxSession(width: 100, height: 30) }
            defer { for terminal in terminals { terminal.close() } }
            let (alice, bob, carol) = (terminals[0], terminals[1], terminals[2])
            for (name, terminal) in zip(Self.people, terminals) {
                try await terminal.run("\(TerminalClientTests.wechatPath) --server \(stack.gateURL)")
                try await Self.signIn(name, in: terminal)
                // The group's line is the newest: the group is first in the list.
                try await terminal.waitFor("hikers", timeout: 30)
                try await terminal.press("M-1")
                try await terminal.waitFor("# hikers")
                try await terminal.waitFor("alice created", timeout: 20)
            }

            // alice names bob: "@bo" and Tab (again, while the members load).
            try alice.type("@bo")
            try await alice.waitFor("@bo")
            try await alice.waitUntil("@bob completed", timeout: 20) { screen in
                if screen.contains("@bob") { return true }
                try? alice.tmux(["send-keys", "-t", alice.name, "Tab"])
                return false
            }
            try alice.type(" the trail is open")
            try await alice.press("Enter")
            for terminal in [bob, carol] { try await terminal.waitFor("@bob the trail is open") }
            // On bob's screen it stands out (the default theme's mention background, 58); on
            // carol's it is text like any other.
            let named = try #require(try Self.styledRow(with: "@bob the trail is open", in: bob))
            let other = try #require(try Self.styledRow(with: "@bob the trail is open", in: carol))
            #expect(named.contains("48;5;58"), "\(named.debugDescription)")
            #expect(!other.contains("48;5;58"), "\(other.debugDescription)")

            // carol types and does not send yet: the others see it.
            try carol.type("brb")
            for terminal in [alice, bob] { try await terminal.waitFor("carol is typing…") }
            try await carol.press("C-u")

            // bob answers it: ↑ selects the newest message, r quotes it above his input.
            try await bob.press("Up")
            try await bob.waitFor("r reply · Del recall · c copy · Esc back")
            try await bob.press("r")
            try await bob.waitFor("Replying to alice: @bob the trail is open")
            try bob.type("great, see you there")
            try await bob.press("Enter")
            let carolSees = try await carol.waitFor("great, see you there")
            #expect(carolSees.contains("↳ alice: @bob the trail is open"), "\(carolSees)")
            let aliceSees = try await alice.waitFor("great, see you there")
            #expect(aliceSees.contains("↳ me: @bob the trail is open"), "\(aliceSees)")
            let rows = aliceSees.split(separator: "\n", omittingEmptySubsequences: false)
            let quoteRow = try #require(rows.firstIndex { $0.contains("↳ me: @bob") })
            let replyRow = try #require(rows.firstIndex { $0.contains("great, see you") })
            #expect(replyRow == quoteRow + 1, "the quote is right above the reply")
            let bobAfter = try bob.screen()
            #expect(!bobAfter.contains("Replying to"), "sent: the quote leaves the input")

            // alice writes to the wrong chat and recalls it: asked first, then gone everywhere.
            try alice.type("wrong chat, sorry")
            try await alice.press("Enter")
            for terminal in [bob, carol] { try await terminal.waitFor("wrong chat, sorry") }
            // Stored (✓), no longer in the outbox: a message to select.
            try await alice.waitFor("wrong chat, sorry ✓")
            try await alice.press("Up")
            try await alice.press("DC")
            try await alice.waitFor("Recall “wrong chat, sorry”?")
            try await alice.press("y")
            try await alice.waitFor("You recalled a message")
            for terminal in [bob, carol] {
                let screen = try await terminal.waitFor("alice recalled a message")
                #expect(!screen.contains("wrong chat, sorry"), "\(screen)")
            }
            let aliceAfter = try alice.screen()
            #expect(!aliceAfter.contains("wrong chat, sorry"))
            // What came before is untouched.
            let carolAfter = try carol.screen()
            #expect(carolAfter.contains("great, see you there"))

            for terminal in terminals { try await terminal.press("C-q") }
        }
    }
}
