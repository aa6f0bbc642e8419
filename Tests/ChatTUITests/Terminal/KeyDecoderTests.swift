import Testing

@testable import ChatTUI

/// The key decoder from a table of what terminals send: every row is input (code points as a
/// terminal sends them, `pause` where a person would stop typing, keys curses already decoded)
/// and the keys it must give.
@Suite struct KeyDecoderTests {
    enum Step: Sendable {
        case text(String)
        case pause
        case key(Key)
        /// One code point of a `text` step, as the source hands them out.
        case raw(TerminalInput)
    }

    struct Row: CustomTestStringConvertible, Sendable {
        var name: String
        var input: [Step]
        var keys: [Key]
        var testDescription: String { name }

        init(_ name: String, _ input: [Step], _ keys: [Key]) {
            self.name = name
            self.input = input
            self.keys = keys
        }
    }

    static let escape = "\u{1b}"

    static let rows: [Row] = [
        // Plain text, one grapheme at a time however many code points it takes.
        Row("letter", [.text("a")], [.character("a")]),
        Row("letter then combining accent", [.text("e\u{301}")], [.character("e\u{301}")]),
        Row("CJK", [.text("你好")], [.character("你"), .character("好")]),
        Row("thumbs up with skin tone", [.text("👍🏽")], [.character("👍🏽")]),
        Row("ZWJ family", [.text("👨‍👩‍👧")], [.character("👨‍👩‍👧")]),
        Row("two flags", [.text("🇩🇪🇫🇷")], [.character("🇩🇪"), .character("🇫🇷")]),
        Row("emoji presentation selector", [.text("❤️")], [.character("❤️")]),
        // Control characters.
        Row("carriage return", [.text("\r")], [.enter]),
        Row("line feed", [.text("\n")], [.enter]),
        Row("tab", [.text("\t")], [.tab]),
        Row("DEL and BS", [.text("\u{7f}\u{8}")], [.backspace, .backspace]),
        Row("Ctrl-A and Ctrl-Z", [.text("\u{1}\u{1a}")], [.control("a"), .control("z")]),
        Row("Ctrl-space", [.text("\u{0}")], [.control(" ")]),
        Row("C1 control is dropped", [.text("\u{9b}a")], [.character("a")]),
        // Esc and Alt: an ESC prefix within the escape timeout is Alt.
        Row("Esc alone", [.text(escape), .pause], [.escape]),
        Row("Alt-x", [.text(escape + "x")], [.alt("x")]),
        Row("Alt-1 and Alt-9", [.text(escape + "1" + escape + "9")], [.alt("1"), .alt("9")]),
        Row("Esc, a pause, then x", [.text(escape), .pause, .text("x")], [.escape, .character("x")]),
        Row("Alt-Enter", [.text(escape + "\r")], [.altEnter]),
        Row("Esc Esc", [.text(escape + escape), .pause], [.escape, .escape]),
        Row("Alt plus a control key is the control key", [.text(escape + "\u{1}")], [.control("a")]),
        Row("Alt-[ alone", [.text(escape + "["), .pause], [.alt("[")]),
        Row("Alt-O alone", [.text(escape + "O"), .pause], [.alt("O")]),
        // CSI and SS3 sequences curses left undecoded.
        Row(
            "CSI arrows",
            [.text(escape + "[A" + escape + "[B" + escape + "[C" + escape + "[D")],
            [.up, .down, .right, .left]
        ),
        Row("Ctrl-Right is word forward", [.text(escape + "[1;5C")], [.alt("f")]),
        Row("Alt-Left is word back", [.text(escape + "[1;3D")], [.alt("b")]),
        Row("Shift-Tab", [.text(escape + "[Z")], [.backTab]),
        Row(
            "Home End",
            [.text(escape + "[H" + escape + "[F" + escape + "[1~" + escape + "[4~")],
            [.home, .end, .home, .end]
        ),
        Row(
            "Delete PgUp PgDn",
            [.text(escape + "[3~" + escape + "[5~" + escape + "[6~")],
            [.delete, .pageUp, .pageDown]
        ),
        Row(
            "F5 F6 F12",
            [.text(escape + "[15~" + escape + "[17~" + escape + "[24~")],
            [.function(5), .function(6), .function(12)]
        ),
        Row("SS3 F1 and arrow", [.text(escape + "OP" + escape + "OA")], [.function(1), .up]),
        Row("CSI F1-F4", [.text(escape + "[P" + escape + "[S")], [.function(1), .function(4)]),
        // Keys with modifiers spelled out (kitty / fixterms CSI u, xterm modifyOtherKeys).
        Row("CSI u Shift-Enter is a new line", [.text(escape + "[13;2u")], [.altEnter]),
        Row("CSI u Ctrl-a", [.text(escape + "[97;5u")], [.control("a")]),
        Row("CSI u Alt-a", [.text(escape + "[97;3u")], [.alt("a")]),
        Row("CSI u Alt-3", [.text(escape + "[51;3u")], [.alt("3")]),
        Row("modifyOtherKeys Alt-3", [.text(escape + "[27;3;51~")], [.alt("3")]),
        Row("CSI u Shift-Tab", [.text(escape + "[9;2u")], [.backTab]),
        Row("CSI u Escape", [.text(escape + "[27u")], [.escape]),
        Row("modifyOtherKeys Ctrl-a", [.text(escape + "[27;5;97~")], [.control("a")]),
        Row("modifyOtherKeys Ctrl-Enter", [.text(escape + "[27;5;13~")], [.altEnter]),
        // Sequences that are not keys are skipped whole.
        Row("mouse report", [.text(escape + "[<0;10;5M" + "a")], [.character("a")]),
        Row("unknown CSI", [.text(escape + "[99X" + "b")], [.character("b")]),
        Row("cursor position reply", [.text(escape + "[?1;2c" + "c")], [.character("c")]),
        // Bracketed paste: one key, line breaks as \n, controls dropped, tabs kept.
        Row("paste", [.text(escape + "[200~hello\r\nworld\r!" + escape + "[201~")], [.paste("hello\nworld\n!")]),
        Row("paste keeps tabs", [.text(escape + "[200~a\tb" + escape + "[201~")], [.paste("a\tb")]),
        Row("paste keeps emoji whole", [.text(escape + "[200~👨‍👩‍👧 🇩🇪" + escape + "[201~")], [.paste("👨‍👩‍👧 🇩🇪")]),
        Row(
            "paste makes escape sequences inert",
            [.text(escape + "[200~x" + escape + "[31my" + escape + "[201~")],
            [.paste("x[31my")]
        ),
        Row(
            "paste with a partial end marker inside",
            [.text(escape + "[200~a" + escape + "[20b" + escape + "[201~")],
            [.paste("a[20b")]
        ),
        Row(
            "paste that never ends is taken when quiet",
            [.text(escape + "[200~unfinished"), .pause],
            [.paste("unfinished")]
        ),
        Row("empty paste is nothing", [.text(escape + "[200~" + escape + "[201~" + "z")], [.character("z")]),
        Row(
            "Enter curses found inside a paste",
            [.text(escape + "[200~a"), .key(.enter), .text("b" + escape + "[201~")],
            [.paste("a\nb")]
        ),
        // Keys curses decoded itself.
        Row("curses arrow", [.key(.up)], [.up]),
        Row(
            "Alt plus a curses arrow is word motion",
            [.text(escape), .key(.left), .text(escape), .key(.right)],
            [.alt("b"), .alt("f")]
        ),
        Row("Alt plus a curses key keeps the key", [.text(escape), .key(.pageUp)], [.pageUp]),
        Row("resize", [.key(.resize)], [.resize]),
        // Mouse events curses decoded pass through whole; inside a paste they are dropped.
        Row(
            "mouse event",
            [.key(.mouse(MouseEvent(kind: .wheelUp, x: 30, y: 7))), .text("a")],
            [.mouse(MouseEvent(kind: .wheelUp, x: 30, y: 7)), .character("a")]
        ),
        Row(
            "mouse event inside a paste",
            [
                .text(escape + "[200~ab"), .key(.mouse(MouseEvent(kind: .press, x: 1, y: 1))),
                .text("c" + escape + "[201~"),
            ],
            [.paste("abc")]
        ),
    ]

    @Test(arguments: rows)
    func decodes(_ row: Row) {
        var input = row.input
        var decoder = KeyDecoder()
        var keys: [Key] = []
        // A pause answers one read with "nothing came in time"; the end of the input does too.
        let source: KeyDecoder.Source = { _ in
            guard !input.isEmpty else { return nil }
            switch input.removeFirst() {
            case .pause:
                return nil
            case .key(let key):
                return .key(key)
            case .text(let text):
                let scalars = text.unicodeScalars.map { TerminalInput.scalar($0.value) }
                input.insert(contentsOf: scalars.dropFirst().map { Step.raw($0) }, at: 0)
                return scalars.first
            case .raw(let raw):
                return raw
            }
        }
        // Until the input is used up and the decoder holds nothing back (nil with input left was
        // a pause).
        for _ in 0..<1000 {
            if let key = decoder.nextKey(timeoutMilliseconds: 0, clock: { 0 }, from: source) {
                keys.append(key)
            } else if input.isEmpty {
                break
            }
        }
        #expect(keys == row.keys)
    }

    @Test func pastesAreCutAtTheLimit() {
        let big = String(repeating: "x", count: KeyDecoder.pasteLimit + 100)
        let scalars = Array((Self.escape + "[200~" + big + Self.escape + "[201~").unicodeScalars)
        var next = 0
        var decoder = KeyDecoder()
        let key = decoder.nextKey(
            timeoutMilliseconds: 0,
            clock: { 0 },
            from: { _ in
                guard next < scalars.count else { return nil }
                next += 1
                return .scalar(scalars[next - 1].value)
            }
        )
        guard case .paste(let text) = key else {
            Issue.record("no paste: \(String(describing: key))")
            return
        }
        #expect(text.utf8.count == KeyDecoder.pasteLimit)
    }

    @Test func terminfoNamesForModifiedKeys() {
        #expect(KeyDecoder.key(forTerminfoName: "kLFT5") == .alt("b"))
        #expect(KeyDecoder.key(forTerminfoName: "kRIT3") == .alt("f"))
        #expect(KeyDecoder.key(forTerminfoName: "kRIT2") == .right)
        #expect(KeyDecoder.key(forTerminfoName: "KEY_SDC") == .delete)
        #expect(KeyDecoder.key(forTerminfoName: "kUP5") == .up)
        #expect(KeyDecoder.key(forTerminfoName: "KEY_MOUSE") == nil)
    }
}
