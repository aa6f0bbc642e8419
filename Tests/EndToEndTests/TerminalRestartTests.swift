import Foundation
import StoreTestSupport
import Testing

/// What a person leaves in the app is there when they come back: the messages they did not send
/// and the theme they chose with F2, after quitting `wechat` and starting it again (on the same
/// ports, so with the same saved session and message cache).
@Suite(.serialized) struct TerminalRestartTests {
    @Test func draftsAndTheChosenThemeOutliveARestart() async throws {
        let terminal = try TmuxSession(width: 100, height: 30)
        defer { terminal.close() }
        let gatePort = try PortFinder.freePort()
        let chatPort = try PortFinder.freePort()
        let start =
            "\(TerminalClientTests.wechatPath) --serve --demo --gate-port \(gatePort) --chat-port \(chatPort) --data-dir \(terminal.home)/server"
        try await terminal.run(start)
        try await terminal.waitFor("Chats (4)", timeout: 60)
        try await terminal.waitFor("● connected", timeout: 30)

        // A theme chosen and kept: the notice names it.
        try await terminal.press("F2")
        try await terminal.waitFor("Enter keep")
        try await terminal.press("j", "Enter")
        let kept = try await terminal.waitFor(" saved")
        let theme = try #require(Self.savedTheme(on: kept))

        // A draft in the open conversation, another in the next one.
        try terminal.type("first draft")
        try await terminal.waitFor("first draft")
        // Alt-2: the second in the list (the app opens the top one at start).
        try await terminal.press("M-2")
        try await terminal.waitFor("[Draft] first")
        try terminal.type("second draft")
        try await terminal.waitFor("second draft")
        try await terminal.press("C-q")
        try await terminal.waitUntil("the shell prompt") { !$0.contains("Chats (4)") }

        try await terminal.run(start)
        try await terminal.waitFor("Chats (4)", timeout: 60)
        // Both drafts are back: the open conversation's in the input, the other's marked in the
        // list, cut to its width (the top one opens, and the draft keeps its place up there).
        let back = try await terminal.waitUntil("both drafts", timeout: 30) {
            $0.contains("first draft") && $0.contains("[Draft] second")
        }
        #expect(!back.contains("[Draft] first"))

        // The picker opens on the theme in use: Enter there names the one chosen before.
        try await terminal.press("F2")
        try await terminal.waitFor("Enter keep")
        try await terminal.press("Enter")
        let again = try await terminal.waitFor(" saved")
        #expect(Self.savedTheme(on: again) == theme)
        try await terminal.press("C-q")
    }

    /// X of the notice "Theme X saved…".
    static func savedTheme(on screen: String) -> String? {
        for line in screen.split(separator: "\n") {
            guard let start = line.range(of: "Theme "),
                let end = line.range(of: " saved", range: start.upperBound..<line.endIndex)
            else { continue }
            return String(line[start.upperBound..<end.lowerBound])
        }
        return nil
    }
}
