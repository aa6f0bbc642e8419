import Foundation
import Testing

@testable import ChatTUI

/// The selected message's keys in `[keys]`: named for config files (so pinned here), letters
/// allowed where nothing is typed, and ↑ kept for selecting from the input line.
@Suite struct MessageKeysConfigTests {
    init() { DisplayWidth.useUTF8Locale() }

    func keys(_ lines: String...) throws -> (KeyBindings, problems: [String]) {
        let (config, warnings) = try AppConfig.parse((["[keys]"] + lines).joined(separator: "\n") + "\n")
        #expect(warnings.isEmpty, "\(warnings)")
        return (config.keyBindings, config.keyProblems)
    }

    @Test func namesAreStable() {
        let names: [Command: String] = [
            .selectMessage: "select-message", .cancelReply: "cancel-reply", .olderMessage: "older-message",
            .newerMessage: "newer-message", .stopSelecting: "stop-selecting", .replyToMessage: "reply-to-message",
            .recallMessage: "recall-message", .copyMessage: "copy-message", .jumpToQuote: "jump-to-quote",
            .readCount: "read-count",
        ]
        for (command, name) in names { #expect(command.name == name) }
    }

    @Test func aSelectedMessagesKeysMayBeLetters() throws {
        let (table, problems) = try keys("copy-message = \"x\"", "reply-to-message = [\"a\", \"Alt-R\"]")
        #expect(problems.isEmpty, "\(problems)")
        #expect(table.command(for: .character("x"), in: .messages) == .copyMessage)
        #expect(table.command(for: .character("c"), in: .messages) == nil)
        #expect(table.command(for: .alt("r"), in: .messages) == .replyToMessage)

        // Pressed: x copies, c is typed into the input (the selection gives the keys back).
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.keyBindings = table
        _ = state.apply(.key(.up))
        #expect(state.apply(.key(.character("x"))) == [.copyToClipboard("Still there?")])
        _ = state.apply(.key(.character("c")))
        #expect(!state.isSelectingMessage && state.input.text == "c")
    }

    @Test func whereTextIsTypedTheUsualRulesHold() throws {
        let (_, letter) = try keys("select-message = \"s\"")
        #expect(
            letter == [
                "line 2: select-message cannot be 's': it types text in the input line (use a Ctrl-, Alt- or F key)"
            ]
        )
        let (_, editing) = try keys("cancel-reply = \"Ctrl-A\"")
        #expect(editing == ["line 2: cancel-reply cannot be 'Ctrl-A': it edits the input line (start of line)"])
        // ↑ is readline's too, but selecting takes it only on an empty line, where it edits nothing.
        let (table, up) = try keys("select-message = \"↑\"")
        #expect(up.isEmpty, "\(up)")
        #expect(table.command(for: .up, in: .input) == .selectMessage)
    }
}
