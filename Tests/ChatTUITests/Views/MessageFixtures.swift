import ChatClient
import Foundation

@testable import ChatTUI

/// The group "team" open, with every kind of row a conversation has: the server's system lines,
/// a message naming alice, a reply and its quote, a message recalled by its sender (and its
/// recall line), one of alice's recalled by a recall line alone, and alice's own.
enum MessageFixtures {
    static let alice = ScreenFixtures.alice
    static let bob = ScreenFixtures.bob
    static let carol = ScreenFixtures.carol
    static let erin = ScreenFixtures.erin
    static let team = ConversationKey.group(ScreenFixtures.teamID)

    static func line(_ id: Int64, from: UserSummary, seq: UInt64, _ text: String, minutes: Int64) -> ChatMessage {
        ScreenFixtures.teamMessage(id, from: from, seq: seq, text, minutes: minutes)
    }

    static var teamHistory: [ChatMessage] {
        var reply = line(24, from: carol, seq: 5, "Count me in", minutes: 6)
        reply.reply = ReplyQuote(seq: 2, senderID: bob.id, excerpt: "Hike on Saturday?")
        var withdrawn = line(25, from: erin, seq: 6, "", minutes: 7)
        withdrawn.recalled = true
        var erinsRecall = line(26, from: erin, seq: 7, "erin recalled a message", minutes: 7)
        erinsRecall.kind = .recall
        erinsRecall.recalledSeq = 6
        var alicesRecall = line(29, from: alice, seq: 10, "alice recalled a message", minutes: 9)
        alicesRecall.kind = .recall
        alicesRecall.recalledSeq = 9
        var invited = line(30, from: alice, seq: 11, "alice invited dave", minutes: 10)
        invited.kind = .system
        return ScreenFixtures.teamMessages + [
            reply, withdrawn, erinsRecall,
            line(27, from: alice, seq: 8, "I'll bring snacks 🍪", minutes: 8),
            line(28, from: alice, seq: 9, "typo", minutes: 9),
            alicesRecall, invited,
        ]
    }

    /// `ScreenFixtures.groupState` with "team" open and `teamHistory` loaded.
    static func teamState(width: Int, height: Int) -> AppState {
        var state = ScreenFixtures.groupState(width: width, height: height)
        var view = ConversationView()
        view.merge(teamHistory)
        view.olderAvailable = false
        state.conversations[team] = view
        state.selectedConversation = team
        state.chat?.groups[ScreenFixtures.teamID]?.readSeq = 11
        state.chat?.groups[ScreenFixtures.teamID]?.unread = 0
        return state
    }

    /// The app's clock in milliseconds, as `ChatState.typing` counts.
    static func nowMs(_ state: AppState) -> Int64 {
        Int64(state.now.timeIntervalSince1970 * 1000)
    }

    /// The first row that shows `text` right of the friend list (in the chat pane or the input),
    /// not in a conversation's preview in the list.
    static func row(of text: String, in canvas: Canvas, state: AppState) -> Int? {
        (0..<canvas.height).first { column(of: text, row: $0, in: canvas, state: state) != nil }
    }

    /// Row `y` right of the friend list, as text.
    static func text(row y: Int, in canvas: Canvas, state: AppState) -> String {
        var line = ""
        for x in MainView.layout(state).chat.x..<canvas.width where !canvas[x, y].isContinuation {
            line += canvas[x, y].text
        }
        return line
    }

    /// The column where `text` starts on row `y` right of the friend list (wide characters once).
    static func column(of text: String, row y: Int, in canvas: Canvas, state: AppState) -> Int? {
        let wanted = Array(text)
        for x in MainView.layout(state).chat.x..<canvas.width where !canvas[x, y].isContinuation {
            var found: [Character] = []
            var column = x
            while column < canvas.width, found.count < wanted.count {
                if !canvas[column, y].isContinuation { found += Array(canvas[column, y].text) }
                column += 1
            }
            if found == wanted { return x }
        }
        return nil
    }
}
