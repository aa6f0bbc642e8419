import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// The editor runner for real, without curses: `$EDITOR` is a small shell script that rewrites
/// the file the way editors do (a new file renamed over the old one), run as a real process on a
/// real file.
@Suite struct ExternalEditorTests {
    /// A directory of its own for each test's scripts (each test has its own instance).
    let scripts = FileManager.default.temporaryDirectory.appendingPathComponent("editor-\(UUID().uuidString)").path

    /// A script in `scripts`, as an editor command line that runs it: `/bin/sh <path>`.
    ///
    /// Not the script's own path with the executable bit set: while the test writes the file,
    /// another test of this process may be spawning a child, which inherits the open file
    /// descriptor until it execs; executing the script in that window fails with ETXTBSY
    /// ("Text file busy", status 126: a CI run saw it). A shell reading the file never does.
    func script(_ name: String, _ body: String) throws -> String {
        try FileManager.default.createDirectory(atPath: scripts, withIntermediateDirectories: true)
        let path = scripts + "/" + name
        try (body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return "/bin/sh " + path
    }

    /// This process's environment with `editor` as `$EDITOR` and no `$VISUAL` (which would win).
    func environment(editor: String) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["VISUAL"] = nil
        environment["EDITOR"] = editor
        return environment
    }

    @Test func theEditorGetsTheDraftInAPrivateFileAndItsTextComesBack() throws {
        defer { try? FileManager.default.removeItem(atPath: scripts) }
        let editor = try script(
            "editor.sh",
            """
            file="$1"
            {
                cat "$file"
                echo "file $(ls -ld "$file" | cut -c1-10)"
                echo "folder $(ls -ld "$(dirname "$file")" | cut -c1-10)"
                echo "path $file"
                printf '\\n\\n'
            } > "$file.new" && mv "$file.new" "$file"
            """
        )
        let result = ExternalEditor.edit("line one\nline two", environment: environment(editor: editor))
        guard case .success(let text) = result else {
            Issue.record("the editor failed: \(result)")
            return
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // The draft went in with a final newline, as editors expect; the ones the editor left at
        // the end are gone, the ones inside kept.
        #expect(lines.count == 5, "\(lines)")
        #expect(Array(lines.prefix(2)) == ["line one", "line two"])
        #expect(lines.dropFirst(2).first == "file -rw-------")
        #expect(lines.dropFirst(3).first == "folder drwx------")
        // The temporary directory is gone afterwards.
        let path = String(lines.last?.dropFirst("path ".count) ?? "")
        #expect(path.hasSuffix("/message.txt"))
        #expect(!FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent))
    }

    @Test func theEditorLineMayCarryArguments() throws {
        defer { try? FileManager.default.removeItem(atPath: scripts) }
        let editor = try script("args.sh", #"for last; do :; done; printf '%s\n' "$@" > "$last""#)
        let result = ExternalEditor.edit("ignored", environment: environment(editor: editor + " --wait -n"))
        guard case .success(let text) = result else {
            Issue.record("the editor failed: \(result)")
            return
        }
        let arguments = text.split(separator: "\n").map(String.init)
        #expect(arguments.count == 3, "\(arguments)")
        #expect(Array(arguments.prefix(2)) == ["--wait", "-n"])
        #expect(arguments.last?.hasSuffix("/message.txt") == true)
    }

    @Test func anEditorThatFailsChangesNothing() throws {
        defer { try? FileManager.default.removeItem(atPath: scripts) }
        let editor = try script("quit.sh", #"echo "thrown away" > "$1"; exit 3"#)
        let result = ExternalEditor.edit("the draft", environment: environment(editor: editor))
        guard case .failure(let error) = result else {
            Issue.record("a failed editor's text was taken: \(result)")
            return
        }
        #expect(error.message == "\(editor) exited with status 3: the draft is unchanged.")

        let missing = ExternalEditor.edit("the draft", environment: environment(editor: scripts + "/no-such-editor"))
        guard case .failure(let notFound) = missing else {
            Issue.record("a missing editor succeeded: \(missing)")
            return
        }
        #expect(notFound.message.contains("status 127 (not found?)"), "\(notFound.message)")
    }

    @Test func anEmptiedFileIsAnEmptyDraft() throws {
        defer { try? FileManager.default.removeItem(atPath: scripts) }
        let editor = try script("empty.sh", #": > "$1""#)
        #expect(ExternalEditor.edit("some text", environment: environment(editor: editor)) == .success(""))
    }

    @Test func visualWinsOverEditorAndBlankCountsAsUnset() {
        #expect(ExternalEditor.command(environment: [:]) == "vi")
        #expect(ExternalEditor.command(environment: ["EDITOR": "nano"]) == "nano")
        #expect(ExternalEditor.command(environment: ["VISUAL": "code --wait", "EDITOR": "nano"]) == "code --wait")
        #expect(ExternalEditor.command(environment: ["VISUAL": "  ", "EDITOR": "nano"]) == "nano")
        #expect(ExternalEditor.command(environment: ["VISUAL": "", "EDITOR": ""]) == "vi")
    }

    @Test func onlyFinalLineBreaksAreDropped() {
        #expect(ExternalEditor.withoutFinalLineBreaks("a\n\nb\r\n\n") == "a\n\nb")
        #expect(ExternalEditor.withoutFinalLineBreaks("a  \n") == "a  ")
        #expect(ExternalEditor.withoutFinalLineBreaks("\n") == "")
    }
}
