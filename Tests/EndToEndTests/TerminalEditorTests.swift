import Foundation
import Testing

/// Ctrl-X Ctrl-E and F4 in a real terminal, against `wechat --serve --demo`: the editor gets the
/// terminal (curses put aside, then taken back), what it saved comes back as the draft and waits
/// for Enter, and the export holds the conversation, the message written in the editor included.
@Suite(.serialized) struct TerminalEditorTests {
    /// "2026-11-27 10:02  " and a name: how every line that starts a message starts.
    static func startsAMessage(_ line: String) -> Bool {
        let characters = Array(line)
        let shape = Array("0000-00-00 00:00  ")
        guard characters.count > shape.count else { return false }
        return zip(shape, characters).allSatisfy { expected, actual in
            expected == "0" ? actual.isASCII && actual.isNumber : actual == expected
        }
    }

    @Test func composeInTheEditorThenExportTheConversation() async throws {
        let terminal = try TmuxSession(width: 120, height: 30)
        defer { terminal.close() }
        // An editor that adds a line saying whether it had the terminal.
        let editor = terminal.home + "/editor.sh"
        try """
        #!/bin/sh
        if [ -t 0 ] && [ -t 1 ]; then where=terminal; else where=pipe; fi
        printf 'from the editor on a %s\\n' "$where" >> "$1"

        """.write(toFile: editor, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: editor)
        try await terminal.run(
            "EDITOR=\(editor) \(TerminalClientTests.wechatPath) --serve --demo --gate-port 0 --chat-port 0 "
                + "--data-dir \(terminal.home)/server"
        )
        try await terminal.waitFor("Chats (4)", timeout: 60)
        try await terminal.waitFor("● connected", timeout: 30)

        try terminal.type("typed first")
        try await terminal.press("C-x", "C-e")
        let edited = try await terminal.waitFor("Edited. Enter sends it.")
        #expect(edited.contains("from the editor on a terminal"), "screen:\n\(edited)")
        #expect(edited.contains("Chats (4)"))
        try await terminal.press("Enter")

        // Until the sent message is in the history the export pages through: F4 again.
        let exports = terminal.home + "/data/wechat/exports"
        var text = ""
        var file = ""
        for _ in 0..<20 where !text.contains("from the editor") {
            try await terminal.press("F4")
            try await Task.sleep(for: .milliseconds(500))
            file = (try? FileManager.default.contentsOfDirectory(atPath: exports))?.first ?? ""
            text = (try? String(contentsOfFile: exports + "/" + file, encoding: .utf8)) ?? ""
        }
        try await terminal.waitFor("Exported to \(file)")
        let lines = text.split(separator: "\n").map(String.init)
        let typed = try #require(lines.firstIndex { $0.hasSuffix("  alice: typed first") }, "export:\n\(text)")
        #expect(lines.dropFirst(typed + 1).first == "                  from the editor on a terminal")
        for line in lines {
            #expect(Self.startsAMessage(line) || line.hasPrefix("                  "), "\(line)")
        }
        #expect(lines.count >= 3, "the demo's messages and the new one:\n\(text)")
        let attributes = try FileManager.default.attributesOfItem(atPath: exports + "/" + file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        try await terminal.press("C-q")
    }
}
