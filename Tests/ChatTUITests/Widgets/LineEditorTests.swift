import Testing

@testable import ChatTUI

/// The input line is where every message starts; these pin down the readline keys, history,
/// paste safety (a paste never sends) and where the caret is drawn next to wide characters.
struct LineEditorTests {
    init() {
        // wcwidth only knows CJK and emoji are 2 wide under a UTF-8 locale.
        DisplayWidth.useUTF8Locale()
    }

    /// An editor after typing `text` key by key.
    private func typed(_ text: String) -> LineEditor {
        var editor = LineEditor()
        for character in text { _ = editor.handle(.character(character)) }
        return editor
    }

    private func press(_ keys: Key..., on editor: inout LineEditor) {
        for key in keys { _ = editor.handle(key) }
    }

    // MARK: - Typing and submitting

    @Test func typingInsertsAtTheCaret() {
        var editor = typed("helo")
        #expect(editor.text == "helo")
        #expect(editor.cursor == 4)
        press(.left, .left, on: &editor)
        #expect(editor.handle(.character("l")) == .edited)
        #expect(editor.text == "hello")
        #expect(editor.cursor == 3)
        #expect(!editor.isEmpty)
    }

    @Test func typedControlCharactersAreNotText() {
        var editor = LineEditor()
        #expect(editor.handle(.character("\u{1B}")) == .unhandled)
        #expect(editor.handle(.character("\n")) == .unhandled)
        #expect(editor.isEmpty)
    }

    @Test func typingKeepsGraphemesWhole() {
        var editor = typed("a你👍🏽")
        #expect(editor.cursor == 3)
        press(.backspace, on: &editor)
        #expect(editor.text == "a你")
        press(.left, .backspace, on: &editor)
        #expect(editor.text == "你")
        #expect(editor.cursor == 0)
    }

    @Test func enterSubmitsAndClears() {
        var editor = typed("hi there")
        #expect(editor.handle(.enter) == .submitted("hi there"))
        #expect(editor.text == "")
        #expect(editor.cursor == 0)
        #expect(editor.isEmpty)
    }

    @Test func enterOnBlankTextIsNotASubmit() {
        var editor = LineEditor()
        #expect(editor.handle(.enter) == .edited)
        editor = typed("   ")
        #expect(editor.handle(.enter) == .edited)
        #expect(editor.isEmpty)
        editor.setText("\n \n")
        #expect(editor.handle(.enter) == .edited)
        #expect(editor.isEmpty)
        #expect(editor.history.isEmpty)
    }

    @Test func altEnterInsertsANewline() {
        var editor = typed("one")
        #expect(editor.handle(.altEnter) == .edited)
        press(.character("t"), .character("w"), .character("o"), on: &editor)
        #expect(editor.text == "one\ntwo")
        #expect(editor.handle(.enter) == .submitted("one\ntwo"))
    }

    @Test func otherKeysAreUnhandled() {
        var editor = typed("x")
        for key: Key in [.tab, .backTab, .escape, .pageUp, .pageDown, .function(1), .resize, .control("z"), .alt("z")] {
            #expect(editor.handle(key) == .unhandled)
        }
        #expect(editor.text == "x")
    }

    // MARK: - Paste

    @Test func pasteWithNewlinesIsOneMessage() {
        var editor = typed("> ")
        #expect(editor.handle(.paste("line one\nline two\r\nline three\rend")) == .edited)
        #expect(editor.text == "> line one\nline two\nline three\nend")
        #expect(editor.cursor == editor.text.count)
        #expect(editor.handle(.enter) == .submitted("> line one\nline two\nline three\nend"))
    }

    @Test func pasteEndingInEnterDoesNotSubmit() {
        var editor = LineEditor()
        #expect(editor.handle(.paste("send me\n")) == .edited)
        #expect(editor.text == "send me\n")
    }

    @Test func pasteDropsControlCharactersButKeepsTabs() {
        var editor = LineEditor()
        _ = editor.handle(.paste("a\u{1B}[31mb\u{07}c\u{7F}\td"))
        #expect(editor.text == "a[31mbc\td")
    }

    /// A pasted tab is sent as a tab (once it became four spaces); the field draws it four
    /// columns wide, and the caret and Up/Down count it so.
    @Test func aTabIsKeptAndDrawnAsFourColumns() {
        var editor = LineEditor()
        _ = editor.handle(.paste("if x:\n\treturn"))
        #expect(editor.text == "if x:\n\treturn")
        let layout = editor.layout(width: 40)
        #expect(layout.lines == ["if x:", "    return"])
        #expect(layout.cursorLine == 1 && layout.cursorColumn == 10)
        // Up from "\tret|urn" (column 7) lands at the end of "if x:", not at its grapheme 3.
        press(.left, .left, .left, on: &editor)
        #expect(editor.layout(width: 40).cursorColumn == 7)
        press(.up, on: &editor)
        #expect(editor.cursor == 5)
        // Wider than the line: the tab moves to the next line whole.
        editor.setText("abc\td")
        #expect(editor.layout(width: 6).lines == ["abc", "    d"])
        #expect(editor.handle(.enter) == .submitted("abc\td"))
    }

    @Test func pasteInsertsAtTheCaret() {
        var editor = typed("ad")
        press(.left, .paste("bc"), on: &editor)
        #expect(editor.text == "abcd")
        #expect(editor.cursor == 3)
    }

    // MARK: - Moving

    @Test func homeEndAndCharacterMoves() {
        var editor = typed("hello")
        press(.control("a"), on: &editor)
        #expect(editor.cursor == 0)
        press(.control("e"), on: &editor)
        #expect(editor.cursor == 5)
        press(.home, on: &editor)
        #expect(editor.cursor == 0)
        press(.end, on: &editor)
        #expect(editor.cursor == 5)
        press(.control("b"), .control("b"), on: &editor)
        #expect(editor.cursor == 3)
        press(.control("f"), on: &editor)
        #expect(editor.cursor == 4)
        press(.left, .left, .left, .left, .left, .left, on: &editor)
        #expect(editor.cursor == 0)
        press(.right, .right, .right, .right, .right, .right, on: &editor)
        #expect(editor.cursor == 5)
    }

    @Test func homeAndEndInMultiLineTextGoToTheLineThenTheText() {
        var editor = LineEditor(text: "one\ntwo\nsix")
        press(.up, .left, on: &editor)  // on "two", before "o"
        #expect(editor.cursor == 6)
        press(.home, on: &editor)
        #expect(editor.cursor == 4)
        press(.home, on: &editor)
        #expect(editor.cursor == 0)
        press(.down, .end, on: &editor)
        #expect(editor.cursor == 7)
        press(.end, on: &editor)
        #expect(editor.cursor == 11)
    }

    @Test func wordMoves() {
        var editor = typed("foo bar  baz")
        press(.alt("b"), on: &editor)
        #expect(editor.cursor == 9)
        press(.alt("b"), on: &editor)
        #expect(editor.cursor == 4)
        press(.alt("b"), on: &editor)
        #expect(editor.cursor == 0)
        press(.alt("b"), on: &editor)
        #expect(editor.cursor == 0)
        press(.alt("f"), on: &editor)
        #expect(editor.cursor == 3)
        press(.alt("f"), on: &editor)
        #expect(editor.cursor == 7)
        press(.alt("f"), on: &editor)
        #expect(editor.cursor == 12)
    }

    @Test func upAndDownMoveBetweenLinesOfMultiLineText() {
        var editor = LineEditor(text: "abcdef\nxy\n你好吗")
        // On "你好吗" (display column 6) → "xy" clamps to its end → "abcdef" column 2.
        #expect(editor.handle(.up) == .edited)
        #expect(editor.cursor == 9)
        #expect(editor.handle(.up) == .edited)
        #expect(editor.cursor == 2)
        press(.right, .right, on: &editor)  // column 4
        #expect(editor.handle(.down) == .edited)
        #expect(editor.cursor == 9)
        press(.left, on: &editor)  // column 1 on "xy"
        #expect(editor.handle(.down) == .edited)
        #expect(editor.cursor == 10)  // column 1 falls inside "你": the caret stays before it
    }

    // MARK: - Deleting

    @Test func backspaceAndDelete() {
        var editor = typed("abcd")
        press(.backspace, on: &editor)
        #expect(editor.text == "abc")
        press(.control("h"), on: &editor)
        #expect(editor.text == "ab")
        press(.home, .delete, on: &editor)
        #expect(editor.text == "b")
        press(.control("d"), on: &editor)
        #expect(editor.text == "")
        #expect(editor.handle(.backspace) == .edited)
        #expect(editor.handle(.delete) == .edited)
    }

    @Test func ctrlDOnAnEmptyLineIsLeftToTheApp() {
        var editor = LineEditor()
        #expect(editor.handle(.control("d")) == .unhandled)
    }

    @Test func killToStartAndYank() {
        var editor = typed("hello world")
        press(.alt("b"), on: &editor)
        #expect(editor.handle(.control("u")) == .edited)
        #expect(editor.text == "world")
        #expect(editor.cursor == 0)
        press(.end, .control("y"), on: &editor)
        #expect(editor.text == "worldhello ")
        #expect(editor.cursor == 11)
    }

    @Test func killToEndAndYank() {
        var editor = typed("hello world")
        press(.home, .alt("f"), .control("k"), on: &editor)
        #expect(editor.text == "hello")
        press(.home, .control("y"), on: &editor)
        #expect(editor.text == " worldhello")
        #expect(editor.cursor == 6)
    }

    @Test func killPreviousWordAndYank() {
        var editor = typed("one two  ")
        press(.control("w"), on: &editor)
        #expect(editor.text == "one ")
        press(.control("w"), on: &editor)
        #expect(editor.text == "")
        press(.control("y"), on: &editor)
        #expect(editor.text == "one ")
    }

    @Test func yankWithAnEmptyKillBufferDoesNothing() {
        var editor = typed("x")
        #expect(editor.handle(.control("y")) == .edited)
        #expect(editor.text == "x")
    }

    @Test func killBufferSurvivesSubmit() {
        var editor = typed("keep this")
        press(.control("u"), .character("s"), on: &editor)
        #expect(editor.handle(.enter) == .submitted("s"))
        press(.control("y"), on: &editor)
        #expect(editor.text == "keep this")
    }

    @Test func killsInMultiLineTextStopAtTheLine() {
        var editor = LineEditor(text: "ab\ncd")
        press(.left, .control("u"), on: &editor)
        #expect(editor.text == "ab\nd")
        press(.control("u"), on: &editor)  // at a line start: joins with the line above
        #expect(editor.text == "abd")
        press(.control("k"), on: &editor)
        #expect(editor.text == "ab")
    }

    @Test func transpose() {
        var editor = typed("abc")
        press(.control("t"), on: &editor)
        #expect(editor.text == "acb")
        press(.home, .right, .control("t"), on: &editor)
        #expect(editor.text == "cab")
        #expect(editor.cursor == 2)
    }

    // MARK: - History

    @Test func upRecallsHistoryAndDownRestoresTheDraft() {
        var editor = LineEditor()
        for line in ["first", "second", "third"] {
            editor.setText(line)
            #expect(editor.handle(.enter) == .submitted(line))
        }
        press(.character("d"), .character("r"), on: &editor)
        #expect(editor.handle(.up) == .edited)
        #expect(editor.text == "third")
        #expect(editor.cursor == 5)
        press(.up, on: &editor)
        #expect(editor.text == "second")
        press(.up, .up, .up, on: &editor)
        #expect(editor.text == "first")
        press(.down, on: &editor)
        #expect(editor.text == "second")
        press(.down, .down, on: &editor)
        #expect(editor.text == "dr")
        #expect(editor.cursor == 2)
        #expect(editor.handle(.down) == .unhandled)
    }

    @Test func upWithoutHistoryIsUnhandled() {
        var editor = typed("x")
        #expect(editor.handle(.up) == .unhandled)
        #expect(editor.handle(.down) == .unhandled)
        #expect(editor.text == "x")
    }

    @Test func upOnTheFirstLineOfMultiLineTextRecalls() {
        var editor = LineEditor()
        editor.setText("old")
        _ = editor.handle(.enter)
        editor.setText("a\nb")
        press(.up, on: &editor)  // from "b" to "a"
        #expect(editor.text == "a\nb")
        #expect(editor.cursor == 1)
        press(.up, on: &editor)  // first line: recall
        #expect(editor.text == "old")
        press(.down, on: &editor)
        #expect(editor.text == "a\nb")
    }

    @Test func recalledEntrySubmitsAndEditingEndsBrowsing() {
        var editor = LineEditor()
        editor.setText("hello")
        _ = editor.handle(.enter)
        press(.up, .character("!"), on: &editor)
        #expect(editor.text == "hello!")
        #expect(editor.handle(.down) == .unhandled)  // the edit is the draft now
        #expect(editor.handle(.enter) == .submitted("hello!"))
        #expect(editor.history == ["hello", "hello!"])
    }

    @Test func historySkipsConsecutiveDuplicatesAndIsCapped() {
        var editor = LineEditor()
        for _ in 0..<3 {
            editor.setText("same")
            _ = editor.handle(.enter)
        }
        #expect(editor.history == ["same"])
        for i in 0..<150 {
            editor.setText("m\(i)")
            _ = editor.handle(.enter)
        }
        #expect(editor.history.count == 100)
        #expect(editor.history.first == "m50")
        #expect(editor.history.last == "m149")
    }

    @Test func maskedLinesStayOutOfHistory() {
        var editor = LineEditor(masked: true)
        editor.setText("secret")
        #expect(editor.handle(.enter) == .submitted("secret"))
        #expect(editor.history.isEmpty)
        #expect(editor.handle(.up) == .unhandled)
    }

    // MARK: - setText / clear

    @Test func setTextPutsTheCaretAtTheEndAndClearEmpties() {
        var editor = LineEditor()
        editor.setText("a\r\nb\u{1B}")
        #expect(editor.text == "a\nb")
        #expect(editor.cursor == 3)
        editor.clear()
        #expect(editor.text == "")
        #expect(editor.cursor == 0)
        #expect(editor.isEmpty)
    }

    // MARK: - Layout

    @Test func layoutOfEmptyText() {
        let layout = LineEditor().layout(width: 10)
        #expect(layout.lines == [""])
        #expect(layout.cursorLine == 0)
        #expect(layout.cursorColumn == 0)
    }

    @Test func layoutHardWrapsWithoutWordWrapping() {
        let editor = LineEditor(text: "hello world")
        let layout = editor.layout(width: 4)
        #expect(layout.lines == ["hell", "o wo", "rld"])
        #expect(layout.cursorLine == 2)
        #expect(layout.cursorColumn == 3)
    }

    @Test func layoutBreaksAtNewlines() {
        var editor = LineEditor(text: "ab\ncd")
        var layout = editor.layout(width: 10)
        #expect(layout.lines == ["ab", "cd"])
        #expect(layout.cursorLine == 1 && layout.cursorColumn == 2)
        press(.up, on: &editor)
        layout = editor.layout(width: 10)
        #expect(layout.cursorLine == 0 && layout.cursorColumn == 2)
    }

    @Test func layoutCaretAfterAFullLineGoesToAnExtraLine() {
        var editor = LineEditor(text: "abcd")
        var layout = editor.layout(width: 4)
        #expect(layout.lines == ["abcd", ""])
        #expect(layout.cursorLine == 1 && layout.cursorColumn == 0)
        press(.left, on: &editor)
        layout = editor.layout(width: 4)
        #expect(layout.lines == ["abcd"])
        #expect(layout.cursorLine == 0 && layout.cursorColumn == 3)
    }

    @Test func layoutCountsWideCharactersAsTwoColumns() {
        var editor = LineEditor(text: "你好世界")
        var layout = editor.layout(width: 5)
        #expect(layout.lines == ["你好", "世界"])
        #expect(layout.cursorLine == 1 && layout.cursorColumn == 4)
        press(.left, on: &editor)
        layout = editor.layout(width: 5)
        #expect(layout.cursorLine == 1 && layout.cursorColumn == 2)
        press(.left, on: &editor)
        layout = editor.layout(width: 5)
        #expect(layout.cursorLine == 1 && layout.cursorColumn == 0)
        press(.left, on: &editor)
        layout = editor.layout(width: 5)
        #expect(layout.cursorLine == 0 && layout.cursorColumn == 2)
    }

    @Test func layoutWithEmoji() {
        let thumbs = "👍🏽"
        var editor = LineEditor(text: "a" + thumbs + "🙂b")
        var layout = editor.layout(width: 4)
        #expect(layout.lines == ["a" + thumbs, "🙂b"])
        #expect(layout.cursorLine == 1 && layout.cursorColumn == 3)
        press(.home, .right, .right, on: &editor)  // after 👍🏽
        layout = editor.layout(width: 4)
        #expect(layout.cursorLine == 1 && layout.cursorColumn == 0)
        press(.left, on: &editor)  // before 👍🏽
        layout = editor.layout(width: 4)
        #expect(layout.cursorLine == 0 && layout.cursorColumn == 1)
    }

    @Test func layoutOfAWideCharacterOnAOneColumnLine() {
        let layout = LineEditor(text: "你好").layout(width: 1)
        #expect(layout.lines == ["你", "好", ""])
        #expect(layout.cursorLine == 2 && layout.cursorColumn == 0)
    }

    @Test func maskedLayoutShowsADotPerGrapheme() {
        var editor = LineEditor(masked: true)
        _ = editor.handle(.paste("pa你👍🏽"))
        let layout = editor.layout(width: 10)
        #expect(layout.lines == ["••••"])
        #expect(layout.cursorColumn == 4)
        #expect(editor.text == "pa你👍🏽")
    }

    // MARK: - Render

    @Test func renderDrawsTextAndSetsTheCursor() {
        var canvas = Canvas(width: 12, height: 4)
        var editor = LineEditor(text: "hi 你好")
        editor.render(
            into: &canvas,
            rect: Rect(x: 2, y: 1, width: 8, height: 2),
            style: .plain,
            placeholder: "Say something",
            placeholderStyle: .plain
        )
        #expect(canvas.lines == ["", "  hi 你好", "", ""])
        #expect(canvas.cursor?.x == 9)
        #expect(canvas.cursor?.y == 1)

        press(.left, .left, on: &editor)
        editor.render(
            into: &canvas,
            rect: Rect(x: 2, y: 1, width: 8, height: 2),
            style: .plain,
            placeholder: nil,
            placeholderStyle: .plain
        )
        #expect(canvas.cursor?.x == 5)
        #expect(canvas.cursor?.y == 1)
    }

    @Test func renderShowsThePlaceholderWhenEmpty() {
        var canvas = Canvas(width: 20, height: 2)
        let dim = TextStyle(dim: true)
        LineEditor().render(
            into: &canvas,
            rect: Rect(x: 1, y: 1, width: 19, height: 1),
            style: .plain,
            placeholder: "Type a message",
            placeholderStyle: dim
        )
        #expect(canvas.lines == ["", " Type a message"])
        #expect(canvas[1, 1].style == dim)
        #expect(canvas.cursor?.x == 1)
        #expect(canvas.cursor?.y == 1)
    }

    @Test func renderShowsTheLastLinesAndScrollsToTheCaret() {
        var editor = LineEditor(text: "l1\nl2\nl3\nl4")
        var canvas = Canvas(width: 5, height: 2)
        editor.render(into: &canvas, rect: canvas.bounds, style: .plain, placeholder: nil, placeholderStyle: .plain)
        #expect(canvas.lines == ["l3", "l4"])
        #expect(canvas.cursor?.x == 2)
        #expect(canvas.cursor?.y == 1)

        press(.up, .up, .up, on: &editor)  // caret on "l1"
        editor.render(into: &canvas, rect: canvas.bounds, style: .plain, placeholder: nil, placeholderStyle: .plain)
        #expect(canvas.lines == ["l1", "l2"])
        #expect(canvas.cursor?.x == 2)
        #expect(canvas.cursor?.y == 0)
    }

    @Test func renderKeepsACaretAfterAFullLineOnScreen() {
        let editor = LineEditor(text: "abcde")
        var canvas = Canvas(width: 5, height: 1)
        editor.render(into: &canvas, rect: canvas.bounds, style: .plain, placeholder: nil, placeholderStyle: .plain)
        #expect(canvas.lines == [""])
        #expect(canvas.cursor?.x == 0)
        #expect(canvas.cursor?.y == 0)
    }

    @Test func renderMasked() {
        var editor = LineEditor(masked: true)
        for character in "secret" { _ = editor.handle(.character(character)) }
        var canvas = Canvas(width: 10, height: 1)
        editor.render(
            into: &canvas,
            rect: canvas.bounds,
            style: .plain,
            placeholder: "Password",
            placeholderStyle: .plain
        )
        #expect(canvas.lines == ["••••••"])
        #expect(!canvas.contains("secret"))
        #expect(canvas.cursor?.x == 6)
    }
}
