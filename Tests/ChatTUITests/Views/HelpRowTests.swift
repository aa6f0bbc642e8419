import Foundation
import Testing

@testable import ChatTUI

/// Help is made from the effective bindings (config's `[keys]` applied) and scrolls; every
/// binding shows whole, with the name `[keys]` knows its action by.
@Suite struct HelpRowTests {
    init() { DisplayWidth.useUTF8Locale() }

    /// Every window of the open help as drawn, scrolled a row at a time from where it is to the end.
    static func scrolledThrough(_ state: inout AppState) -> [[String]] {
        var frames = [AppView.render(state).lines]
        for _ in 0..<300 {
            let before = state.helpScroll
            _ = state.apply(.key(.down))
            if state.helpScroll == before { break }
            frames.append(AppView.render(state).lines)
        }
        return frames
    }

    /// Whether help shows `line` whole: a row with its first key and its whole summary, and on
    /// that row or the two after it each of its key names and its config name, whole.
    static func showsWhole(_ line: KeyBindings.HelpLine, in frames: [[String]]) -> Bool {
        let keyNames = line.keys.components(separatedBy: "  ")
        return frames.contains { rows in
            rows.indices.contains { y in
                guard rows[y].contains(line.action), keyNames[0].isEmpty || rows[y].contains(keyNames[0]) else {
                    return false
                }
                let rowsOfIt = rows[y..<min(rows.count, y + 3)].joined(separator: "\n")
                return keyNames.allSatisfy { $0.isEmpty || rowsOfIt.contains($0) }
                    && (line.name.isEmpty || rowsOfIt.contains(line.name))
            }
        }
    }

    static func rebound(_ lines: String...) throws -> KeyBindings {
        let (config, _) = try AppConfig.parse((["[keys]"] + lines).joined(separator: "\n") + "\n")
        #expect(config.keyProblems.isEmpty, "\(config.keyProblems)")
        return config.keyBindings
    }

    @Test func aRebindingShowsInHelpAndInTheHints() throws {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.keyBindings = try Self.rebound("next-unread = \"F9\"", "help = \"F12\"", "conversation-3 = \"F7\"")
        #expect(AppView.render(state).lines.last?.contains("F12 help") == true)
        _ = state.apply(.key(.function(12)))
        #expect(state.overlay == .help)
        let frames = Self.scrolledThrough(&state)
        let unread = KeyBindings.HelpLine(
            keys: "F9",
            action: "next conversation with unread messages",
            name: "next-unread"
        )
        #expect(Self.showsWhole(unread, in: frames))
        #expect(!frames.joined().contains { $0.contains("Alt-A") }, "Alt-A no longer does anything")
        #expect(Self.showsWhole(.init(keys: "F12", action: "this help", name: "help"), in: frames))
        // Alt-1…Alt-9 is one line only while the nine go in step: now each has its own.
        #expect(!frames.joined().contains { $0.contains("Alt-1…Alt-9") })
        for (number, key) in [(3, "F7"), (4, "Alt-4")] {
            let line = KeyBindings.HelpLine(
                keys: key,
                action: "open conversation \(number) of the list",
                name: "conversation-\(number)"
            )
            #expect(Self.showsWhole(line, in: frames), "\(key)")
        }
    }

    @Test func theNineConversationKeysAreOneLine() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = state.apply(.key(.function(1)))
        let line = KeyBindings.HelpLine(
            keys: "Alt-1…Alt-9",
            action: "open conversation 1…9 of the list",
            name: "conversation-1…9"
        )
        #expect(Self.showsWhole(line, in: Self.scrolledThrough(&state)))
    }

    /// At 80 columns a name that does not fit beside its summary gets the row below; at 120
    /// there is room beside it.
    @Test func aNameGoesBelowItsSummaryOnlyWhenItMustBe() {
        let narrow = HelpRow.layout(ScreenFixtures.mainState(width: 80, height: 24))
        let summary = "scroll back (older messages load by themselves)"
        let index = narrow.firstIndex {
            if case .binding(_, summary, _) = $0 { return true }
            return false
        }
        #expect(index.map { narrow[$0 + 1] } == HelpRow.binding(keys: "", action: "", name: "scroll-older"))
        #expect(narrow.contains(HelpRow.binding(keys: "F1", action: "this help", name: "help")))
        let wide = HelpRow.layout(ScreenFixtures.mainState(width: 120, height: 40))
        #expect(wide.contains(HelpRow.binding(keys: "PgUp", action: summary, name: "scroll-older")))
    }

    /// PgDn pages to the end, where the footer counts the last row, and help stays open.
    @Test func pageDownReachesTheEnd() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = state.apply(.key(.function(1)))
        let total = OverlayView.helpRows(state).count
        #expect(total > OverlayView.helpVisibleRows(state), "at 80×24 help scrolls")
        for _ in 0..<total {
            _ = state.apply(.key(.pageDown))
        }
        #expect(state.overlay == .help)
        #expect(AppView.render(state).contains("of \(total) · Esc closes"))
        #expect(AppView.render(state).contains("–\(total) of \(total)"))
    }
}
