import ChatClient
import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// What a conversation's rows say and how they look, read back from the in-memory screen: a
/// reply's quote, recalls, a group's system lines, senders' names, mentions of me, ✓ and ✓✓,
/// who is typing, the selected message and the reply being written.
@Suite struct ChatPaneMessageTests {
    init() { DisplayWidth.useUTF8Locale() }

    typealias F = MessageFixtures

    @Test(arguments: [(80, 24), (120, 40)])
    func aGroupShowsQuotesRecallsSystemLinesAndNames(width: Int, height: Int) throws {
        let state = F.teamState(width: width, height: height)
        let canvas = AppView.render(state)
        let pane = MainView.layout(state).chat
        #expect(canvas.contains("# team  5 members"), "\(canvas)")

        // Every message has its sender's name: a friend's remark, a member's username, "me".
        func row(_ y: Int) -> String { F.text(row: y, in: canvas, state: state) }
        let hike = try #require(F.row(of: "Hike on Saturday?", in: canvas, state: state))
        #expect(row(hike).contains(" bob "))
        let erin = try #require(F.row(of: "我也去！", in: canvas, state: state))
        #expect(row(erin).contains(" erin "))
        let snacks = try #require(F.row(of: "I'll bring snacks 🍪", in: canvas, state: state))
        #expect(row(snacks).contains(" me "))

        // A reply: its quote on the row above it, quiet, cut to the pane.
        let reply = try #require(F.row(of: "Count me in", in: canvas, state: state))
        #expect(row(reply).contains("Carol 🎨"))
        let quote = try #require(F.row(of: "↳ bob: Hike on Saturday?", in: canvas, state: state))
        #expect(quote == reply - 1)
        let quoteX = try #require(F.column(of: "↳", row: quote, in: canvas, state: state))
        #expect(canvas[quoteX, quote].style == state.theme[.hint])
        let textX = F.column(of: "Count", row: reply, in: canvas, state: state)
        #expect(quoteX == textX, "the quote lines up with the text")

        // Recalled messages read so, in their place, quiet; the recall lines themselves do not show.
        #expect(canvas.lines.filter { $0.contains("erin recalled a message") }.count == 1)
        #expect(canvas.lines.filter { $0.contains("You recalled a message") }.count == 1)
        #expect(!canvas.contains("alice recalled a message"))
        #expect(!canvas.contains("typo"))
        let recalled = try #require(F.row(of: "erin recalled a message", in: canvas, state: state))
        #expect(recalled > reply && recalled < snacks)
        let recalledX = try #require(F.column(of: "erin recalled", row: recalled, in: canvas, state: state))
        #expect(canvas[recalledX, recalled].style == state.theme[.hint])

        // System lines: centred in the pane, quiet.
        for text in ["alice created the group", "alice invited dave"] {
            let y = try #require(F.row(of: text, in: canvas, state: state), "\(text)")
            let x = try #require(F.column(of: text, row: y, in: canvas, state: state))
            #expect(canvas[x, y].style == state.theme[.hint])
            let left = x - (pane.x + 2)
            let right = (pane.maxX - 2) - (x + text.count)
            #expect(abs(left - right) <= 1, "\(text) at \(x): \(left) left, \(right) right")
        }

        // My group message has ✓ (a group has no ✓✓; `i` asks who read it).
        #expect(row(snacks).contains("🍪 ✓"))
        #expect(!canvas.contains("✓✓"))
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func aMessageNamingMeStandsOut(width: Int, height: Int) throws {
        let state = F.teamState(width: width, height: height)
        let canvas = AppView.render(state)
        let y = try #require(F.row(of: "@alice bring the map", in: canvas, state: state))
        let x = try #require(F.column(of: "@alice", row: y, in: canvas, state: state))
        #expect(canvas[x, y].style == state.theme[.mention])
        #expect(state.theme[.mention] != state.theme[.messageText])
        // Others' text does not.
        let hike = try #require(F.row(of: "Hike on Saturday?", in: canvas, state: state))
        let hikeX = try #require(F.column(of: "Hike", row: hike, in: canvas, state: state))
        #expect(canvas[hikeX, hike].style == state.theme[.messageText])
        // "@all" names me too; my own message naming everyone is not highlighted for me.
        var all = F.line(31, from: F.bob, seq: 12, "@all the bus leaves at 8", minutes: 10)
        all.mentionsAll = true
        var mine = F.line(32, from: F.alice, seq: 13, "@all see you there", minutes: 10)
        mine.mentionsAll = true
        var everyone = state
        everyone.conversations[F.team]?.merge([all, mine])
        let next = AppView.render(everyone)
        let busY = try #require(F.row(of: "the bus leaves", in: next, state: state))
        let busX = try #require(F.column(of: "@all the bus", row: busY, in: next, state: state))
        #expect(next[busX, busY].style == state.theme[.mention])
        let seeY = try #require(F.row(of: "see you there", in: next, state: state))
        let seeX = try #require(F.column(of: "@all see", row: seeY, in: next, state: state))
        #expect(next[seeX, seeY].style == state.theme[.messageText])
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func oneTickWhenStoredTwoWhenTheFriendHasReadIt(width: Int, height: Int) throws {
        var state = ScreenFixtures.mainState(width: width, height: height)
        let bob = ConversationKey.direct(ScreenFixtures.bob.id)
        let later = ScreenFixtures.message(5, from: F.alice, to: F.bob, seq: 5, "Later!", minutes: 4)
        state.conversations[bob]?.merge([later])
        // bob has read up to seq 2: "Good, thanks…" (seq 2) is read, "Later!" (seq 5) only stored.
        state.chat?.conversations[F.bob.id]?.peerReadSeq = 2
        let canvas = AppView.render(state)
        let laterRow = try #require(F.row(of: "Later!", in: canvas, state: state))
        #expect(canvas.lines[laterRow].contains("Later! ✓"))
        #expect(!canvas.lines[laterRow].contains("✓✓"))
        #expect(canvas.lines.filter { $0.contains("✓✓") }.count == 1)
        let read = try #require(canvas.lines.firstIndex { $0.contains("✓✓") })
        let good = try #require(F.row(of: "Good, thanks", in: canvas, state: state))
        #expect(read >= good && read < laterRow, "✓✓ ends the first message, seq 2")

        // Once bob has read everything, both have ✓✓; a message still in the outbox has "…".
        state.chat?.conversations[F.bob.id]?.peerReadSeq = 5
        state.chat?.outbox = [
            OutboxMessage(clientMessageID: "o", peerID: F.bob.id, text: "on its way", createdAtMs: ScreenFixtures.base)
        ]
        let after = AppView.render(state)
        #expect(after.lines.filter { $0.contains("✓✓") }.count == 2)
        #expect(after.contains("on its way …"))
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func whoIsTypingShowsUntilItLapses(width: Int, height: Int) throws {
        var state = F.teamState(width: width, height: height)
        let now = F.nowMs(state)
        #expect(!AppView.render(state).contains("typing"))
        state.chat?.typing[F.team] = [F.bob.id: now + 3_000, F.alice.id: now + 3_000]
        let one = AppView.render(state)
        let pane = MainView.layout(state).chat
        let y = try #require(F.row(of: "bob is typing…", in: one, state: state))
        #expect(y == pane.maxY - 1, "on the pane's bottom line")
        #expect(!one.contains("alice is typing") && !one.contains("me is typing"), "never me")

        state.chat?.typing[F.team]?[F.erin.id] = now + 5_000
        #expect(AppView.render(state).contains("bob and erin are typing…"))
        state.chat?.typing[F.team]?[F.carol.id] = now + 5_000
        #expect(AppView.render(state).contains("3 people are typing…"))

        // The idle app wakes when the first one lapses, and then bob's is gone.
        let wake = WakeSchedule.next(for: state, now: state.now)
        #expect(abs(wake.timeIntervalSince(state.now) - 3) < 0.01)
        _ = state.apply(.tick(wake))
        #expect(AppView.render(state).contains("Carol 🎨 and erin are typing…"), "\(AppView.render(state))")
        _ = state.apply(.tick(state.now.addingTimeInterval(2)))
        #expect(!AppView.render(state).contains("typing"))

        // One-to-one, by the friend's name; not in another conversation's pane.
        let until = F.nowMs(state) + 2_000
        state.chat?.typing[.direct(F.bob.id)] = [F.bob.id: until]
        #expect(!AppView.render(state).contains("typing"))
        _ = state.select(.direct(F.bob.id))
        #expect(AppView.render(state).contains("bob is typing…"))
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func theSelectedMessageIsMarkedAndThePaneHasTheKeys(width: Int, height: Int) throws {
        var state = ScreenFixtures.mainState(width: width, height: height)
        let before = AppView.render(state)
        let input = MainView.layout(state).input
        let pane = MainView.layout(state).chat
        #expect(before[input.x, input.y].style == state.theme[.borderFocused])

        _ = state.apply(.key(.up))
        #expect(state.isSelectingMessage)
        let canvas = AppView.render(state)
        let y = try #require(F.row(of: "Still there?", in: canvas, state: state))
        let x = try #require(F.column(of: "Still there?", row: y, in: canvas, state: state))
        #expect(canvas[x, y].style.reverse, "the newest message is selected")
        #expect(canvas[pane.x, pane.y].style == state.theme[.borderFocused])
        #expect(canvas[input.x, input.y].style == state.theme[.border])
        #expect(canvas.lines[pane.maxY - 1].contains("r reply · Del recall · c copy · Esc back"))

        // ↑ again: the one before, and only it.
        _ = state.apply(.key(.up))
        let next = AppView.render(state)
        #expect(!next[x, y].style.reverse)
        let wrapped = try #require(F.row(of: "太好了", in: next, state: state))
        let wrappedX = try #require(F.column(of: "太好了", row: wrapped, in: next, state: state))
        #expect(next[wrappedX, wrapped].style.reverse, "the message before")

        // Esc: nothing selected, the input has the keys again.
        _ = state.apply(.key(.escape))
        let back = AppView.render(state)
        #expect(!state.isSelectingMessage)
        #expect(!back[wrappedX, wrapped].style.reverse)
        #expect(back[input.x, input.y].style == state.theme[.borderFocused])
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func theReplyBeingWrittenShowsAboveTheInput(width: Int, height: Int) throws {
        var state = F.teamState(width: width, height: height)
        _ = state.apply(.key(.up))
        _ = state.apply(.key(.character("r")))
        for character in "yes!" { _ = state.apply(.key(.character(character))) }
        let canvas = AppView.render(state)
        let quote = try #require(
            F.row(of: "Replying to yourself: I'll bring snacks", in: canvas, state: state),
            "\(canvas)"
        )
        #expect(canvas.lines[quote].contains("Esc cancels"))
        let typed = try #require(F.row(of: "yes!", in: canvas, state: state))
        #expect(typed == quote + 1)
        #expect(quote > MainView.layout(state).input.y)

        _ = state.apply(.key(.escape))
        let plain = AppView.render(state)
        #expect(!plain.contains("Replying to"))
        #expect(plain.contains("yes!"))
    }
}
