import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// `[keys]` in config.toml: a rebinding takes effect (and frees the old key), and every mistake
/// comes back as one line naming the config line, for `wechat` to say before it starts.
@Suite struct KeyBindingsConfigTests {
    init() { DisplayWidth.useUTF8Locale() }

    /// The config's key table and its problems, from the lines of a `[keys]` table (line 1 is
    /// the header, so the first binding is line 2).
    func keys(_ lines: String...) throws -> (KeyBindings, problems: [String]) {
        let (config, warnings) = try AppConfig.parse((["[keys]"] + lines).joined(separator: "\n") + "\n")
        #expect(warnings.isEmpty, "\(warnings)")
        return (config.keyBindings, config.keyProblems)
    }

    /// Names are what people write in their config files: these must not change under them.
    @Test func actionNamesAreStable() {
        #expect(Command.nextUnread.name == "next-unread")
        #expect(Command.findPeople.name == "find-people")
        #expect(Command.previousConversation.name == "previous-conversation")
        #expect(Command.conversation3.name == "conversation-3")
        #expect(Command.help.name == "help")
        #expect(Set(Command.allCases.map(\.name)).count == Command.allCases.count)
        for command in Command.allCases {
            #expect(Command(name: command.name) == command, "\(command.name)")
        }
        #expect(Command(name: "nextUnread") == nil)
    }

    @Test func aRebindingTakesEffectAndTheOldKeyNoLonger() throws {
        let (table, problems) = try keys("next-unread = \"F9\"", "help = [\"F12\", \"Alt-H\"]", "set-remark = \"r\"")
        #expect(problems.isEmpty, "\(problems)")
        #expect(table.command(for: .function(9), in: .main) == .nextUnread)
        #expect(table.command(for: .alt("a"), in: .main) == nil)
        #expect(table.command(for: .function(5), in: .main) == nil)
        #expect(table.command(for: .function(12), in: .main) == .help)
        #expect(table.command(for: .alt("h"), in: .main) == .help)
        #expect(table.command(for: .function(1), in: .main) == nil)
        // The keys given replace all of an action's defaults: "?" in the friend list too.
        #expect(table.command(for: .character("?"), in: .friendList) == nil)
        // The friend list may take a printable key: there keys are commands, not text.
        #expect(table.command(for: .character("r"), in: .friendList) == .setRemark)
        #expect(table.command(for: .character("n"), in: .friendList) == nil)
        // Everything not rebound is as it was.
        #expect(table.command(for: .control("n"), in: .main) == .nextConversation)
        #expect(table.bindings.count == KeyBindings.standard.bindings.count - 1)

        // Pressed in the app: F9 goes to the unread conversation, Alt-A and F5 do nothing now.
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.keyBindings = table
        _ = state.select(.direct(ScreenFixtures.carol.id))
        for key: Key in [.alt("a"), .function(5)] {
            let effects = state.apply(.key(key))
            #expect(effects.isEmpty && state.selectedPeer == ScreenFixtures.carol.id, "\(key.name)")
            #expect(state.input.text.isEmpty, "\(key.name)")
        }
        _ = state.apply(.key(.function(9)))
        #expect(state.selectedPeer == ScreenFixtures.bob.id)
        _ = state.apply(.key(.function(12)))
        #expect(state.overlay == .help)
    }

    /// README's example, as written there.
    @Test func theReadmeExampleIsSound() throws {
        let (table, problems) = try keys(
            "next-unread = [\"Alt-A\", \"F8\"]",
            "conversation-1 = \"F9\"",
            "help = \"F12\"",
            "next-conversation = \"Alt-J\"",
            "find-people = [\"Ctrl-N\", \"Alt-P\"]"
        )
        #expect(problems.isEmpty, "\(problems)")
        #expect(table.command(for: .control("n"), in: .main) == .findPeople)
        #expect(table.command(for: .function(9), in: .main) == .conversation1)
        #expect(table.command(for: .alt("1"), in: .main) == nil)
    }

    @Test func anEmptyListLeavesTheActionWithoutAKey() throws {
        let (table, problems) = try keys("next-unread = []", "find-people = \"Alt-A\"")
        #expect(problems.isEmpty, "\(problems)")
        #expect(table.command(for: .alt("a"), in: .main) == .findPeople)
        #expect(table.command(for: .function(3), in: .main) == nil)
    }

    @Test func anUnknownActionIsNamedWithItsLine() throws {
        let (_, problems) = try keys("next-unread = \"F9\"", "nxt-unread = \"F8\"")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("line 3: 'nxt-unread' is not an action") == true, "\(problems)")
    }

    @Test func aKeyNameThatIsNoKeyIsNamed() throws {
        let (_, problems) = try keys("next-unread = [\"F9\", \"Ctl-N\"]")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("line 2: 'Ctl-N' for next-unread is not a key name") == true, "\(problems)")
        let (_, wrongType) = try keys("next-unread = 5")
        #expect(wrongType.first?.hasPrefix("line 2: 'next-unread' takes a key name") == true, "\(wrongType)")
    }

    @Test func aKeyClaimedByADefaultThatWasNotRebound() throws {
        let (_, problems) = try keys("next-unread = \"Ctrl-N\"")
        #expect(
            problems == [
                "line 2: 'Ctrl-N' is bound to both next-conversation (by default; rebind it too to free the key) "
                    + "and next-unread (line 2)"
            ]
        )
        // Rebinding the default as well frees the key.
        let (table, none) = try keys("next-unread = \"Ctrl-N\"", "next-conversation = \"Alt-J\"")
        #expect(none.isEmpty, "\(none)")
        #expect(table.command(for: .control("n"), in: .main) == .nextUnread)
    }

    @Test func aKeyTwoRebindingsClaim() throws {
        let (_, problems) = try keys("next-unread = \"F9\"", "help = \"F9\"")
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix("line 3: 'F9' is bound to both") == true, "\(problems)")
        #expect(problems.first?.contains("help (line 3)") == true, "\(problems)")
        #expect(problems.first?.contains("next-unread (line 2)") == true, "\(problems)")
        // A main-screen key is seen before the friend list's, so claiming one there clashes too.
        let (_, shadowed) = try keys("next-unread = \"F9\"", "set-remark = \"F9\"")
        #expect(shadowed.count == 1, "\(shadowed)")
    }

    @Test func aKeyThatTypesTextIsRefusedWhereTextIsTyped() throws {
        let (_, problems) = try keys("find-people = \"q\"", "complete-name = [\"Tab\", \"Space\"]")
        #expect(
            problems == [
                "line 2: find-people cannot be 'q': it types text in the input line (use a Ctrl-, Alt- or F key)",
                "line 3: complete-name cannot be 'Space': it types text in the input line (use a Ctrl-, Alt- or F key)",
            ]
        )
    }

    @Test func anEditingKeyIsRefusedWhereTextIsTyped() throws {
        let (_, problems) = try keys("next-unread = \"Ctrl-A\"")
        #expect(problems == ["line 2: next-unread cannot be 'Ctrl-A': it edits the input line (start of line)"])
    }

    @Test func onlyTheInputLineTakesTwoKeySequences() throws {
        let (_, problems) = try keys("find-people = \"Ctrl-X Ctrl-F\"")
        #expect(problems == ["line 2: find-people takes single keys (only the input line's actions take two)"])
    }

    /// Through the file: the problems name the file and stop the start; they are not a warning
    /// the app would show once running.
    @Test func loadingNamesTheFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("chattui-keys-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.toml"
        let text = "theme = \"light\"\n[keys]\nnext-unread = \"Ctrl-N\"\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let (config, warning) = AppConfig.load(path: path)
        #expect(warning == nil)
        #expect(config.theme == "light")
        #expect(config.keyProblems.count == 1)
        #expect(config.keyProblems.first?.hasPrefix("\(path) line 3: 'Ctrl-N' is bound to both") == true)
    }
}
