/// The message input: a small multi-line text field with the readline keys people already have in
/// their fingers (Ctrl-A/E/B/F/U/K/W/Y, Alt-b/f, history on Up/Down).
///
/// Why a value type with a pure `handle(_:)`: the app keeps it in its state and every key is a
/// plain state transition, so the whole editor is testable without a terminal. Positions are
/// grapheme indices (Swift `Character`s), never bytes or scalars, so the caret can never land
/// inside an emoji or between a letter and its accent; screen positions are measured with
/// `DisplayWidth` so the caret lines up with wide (CJK, emoji) characters.
public struct LineEditor: Sendable, Equatable {
    /// What a key did, so the app knows whether to send, redraw, or try the key elsewhere.
    public enum Outcome: Equatable, Sendable {
        /// The key was consumed (the text or caret may have changed).
        case edited
        /// Enter on non-blank text: send this. The editor has already cleared itself.
        case submitted(String)
        /// Not an editing key (Tab, PageUp, F-keys, …), or nothing to do with it here: the app may
        /// use it for something else.
        case unhandled
    }

    /// The most submitted lines remembered for Up/Down recall.
    public static let historyLimit = 100

    /// The text being edited. Only ever contains printable graphemes, "\n" and "\t".
    public private(set) var text: String
    /// The caret, as a grapheme index in `0...text.count` (it sits before that grapheme).
    public private(set) var cursor: Int
    /// Shows "•" per grapheme instead of the text, for passwords. A masked editor also keeps its
    /// lines out of history, so a password can never be recalled with Up.
    public var masked: Bool

    /// What Ctrl-U/K/W last cut, for Ctrl-Y.
    private var killBuffer = ""
    /// Submitted lines, oldest first.
    private(set) var history: [String] = []
    /// Which history entry is shown while browsing with Up/Down; nil while editing the draft.
    private var historyIndex: Int?
    /// The text that was being typed when browsing started, restored by Down past the newest.
    private var draft = ""
    /// Tab completion under way, so the next Tab offers the next match; any other key ends it.
    private var completion: Completion?

    /// Where a completion started and what it can cycle through.
    private struct Completion: Sendable, Equatable {
        var start: Int
        var matches: [String]
        var index: Int
    }

    public init(text: String = "", masked: Bool = false) {
        self.text = LineEditor.sanitize(text)
        self.cursor = self.text.count
        self.masked = masked
    }

    public var isEmpty: Bool { text.isEmpty }

    /// Replaces the text (cleaned like a paste) and puts the caret at its end. Used when the app
    /// fills the field itself (editing a sent message, restoring a draft).
    public mutating func setText(_ newText: String) {
        text = LineEditor.sanitize(newText)
        cursor = text.count
        historyIndex = nil
        completion = nil
    }

    /// Empties the field. History and the kill buffer stay: they outlive one message.
    public mutating func clear() {
        text = ""
        cursor = 0
        historyIndex = nil
        completion = nil
    }

    // MARK: - Keys

    public mutating func handle(_ key: Key) -> Outcome {
        completion = nil
        switch key {
        case .character(let character):
            guard LineEditor.isPrintable(character) else { return .unhandled }
            insert(String(character))
            return .edited
        case .paste(let pasted):
            // A paste is inserted as typed text, never sent: an Enter inside it is just a newline.
            insert(LineEditor.sanitize(pasted))
            return .edited
        case .control("d") where text.isEmpty:
            // Ctrl-D on an empty line is traditionally "end of input": let the app decide.
            return .unhandled
        default:
            guard let edit = Self.bindings.first(where: { $0.keys.contains(key) })?.edit else { return .unhandled }
            return perform(edit)
        }
    }

    /// Carries out one editing command (whatever key asked for it).
    public mutating func perform(_ edit: Edit) -> Outcome {
        switch edit {
        case .send:
            return submit()
        case .newLine:
            insert("\n")
        case .historyBack:
            return moveUp()
        case .historyForward:
            return moveDown()

        case .lineStart:
            cursor = lineStart(of: cursor) == cursor ? 0 : lineStart(of: cursor)
        case .lineEnd:
            cursor = lineEnd(of: cursor) == cursor ? text.count : lineEnd(of: cursor)
        case .charBack:
            cursor = max(0, cursor - 1)
        case .charForward:
            cursor = min(text.count, cursor + 1)
        case .wordBack:
            cursor = wordStart(before: cursor)
        case .wordForward:
            cursor = wordEnd(after: cursor)

        case .killToLineStart:
            // To the start of this line; at a line start, the newline before it (so repeated
            // Ctrl-U keeps eating a multi-line text upwards).
            let start = lineStart(of: cursor)
            kill(start == cursor ? max(0, cursor - 1)..<cursor : start..<cursor)
        case .killToLineEnd:
            // To the end of this line; at a line end, the newline after it (as in Emacs).
            let end = lineEnd(of: cursor)
            kill(end == cursor ? cursor..<min(text.count, cursor + 1) : cursor..<end)
        case .killWordBack:
            kill(wordStart(before: cursor)..<cursor)
        case .killWordForward:
            kill(cursor..<wordEnd(after: cursor))
        case .yank:
            if !killBuffer.isEmpty { insert(killBuffer) }

        case .deleteBack:
            if cursor > 0 { replace(cursor - 1..<cursor, with: "") }
        case .deleteForward:
            if cursor < text.count { replace(cursor..<cursor + 1, with: "") }
        case .transpose:
            transpose()
        }
        return .edited
    }

    // MARK: - Completion

    /// Tab: completes the word before the caret to the first of `candidates` it starts
    /// (ignoring case); Tab again replaces it with the next match, round and round, as in irssi.
    /// Returns false, changing nothing, when no candidate matches (an empty word matches none, so
    /// Tab on an empty line does nothing).
    public mutating func complete(from candidates: [String]) -> Bool {
        if var current = completion, cursor == current.start + current.matches[current.index].count {
            current.index = (current.index + 1) % current.matches.count
            replace(current.start..<cursor, with: current.matches[current.index])
            completion = current
            return true
        }
        let start = wordStart(before: cursor)
        let word = String(Array(text)[start..<cursor]).lowercased()
        guard !word.isEmpty else { return false }
        var seen = Set<String>()
        let matches = candidates.filter { $0.lowercased().hasPrefix(word) && seen.insert($0).inserted }
        guard let first = matches.first else { return false }
        replace(start..<cursor, with: first)
        completion = Completion(start: start, matches: matches, index: 0)
        return true
    }

    // MARK: - Editing

    private mutating func insert(_ string: String) {
        guard !string.isEmpty else { return }
        replace(cursor..<cursor, with: string)
    }

    /// Replaces a grapheme range and leaves the caret after the insertion. Any edit ends history
    /// browsing: the edited text is now the draft.
    @discardableResult
    private mutating func replace(_ range: Range<Int>, with insertion: String) -> String {
        let characters = Array(text)
        let range = range.clamped(to: 0..<characters.count)
        let removed = String(characters[range])
        // Counting the joined head (not adding counts) keeps the caret right even when the
        // insertion merges with the grapheme before it (a combining accent).
        let head = String(characters[..<range.lowerBound]) + insertion
        text = head + String(characters[range.upperBound...])
        cursor = min(head.count, text.count)
        historyIndex = nil
        return removed
    }

    private mutating func kill(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        killBuffer = replace(range, with: "")
        cursor = min(range.lowerBound, text.count)
    }

    /// Ctrl-T: swaps the two graphemes around the caret (the last two at the end of the text).
    private mutating func transpose() {
        let characters = Array(text)
        guard characters.count >= 2, cursor > 0 else { return }
        let at = cursor == characters.count ? cursor - 1 : cursor
        replace(at - 1..<at + 1, with: String([characters[at], characters[at - 1]]))
    }

    private mutating func submit() -> Outcome {
        let submitted = text
        let isBlank = submitted.allSatisfy { $0.isWhitespace }
        if !isBlank && !masked && history.last != submitted {
            history.append(submitted)
            if history.count > LineEditor.historyLimit {
                history.removeFirst(history.count - LineEditor.historyLimit)
            }
        }
        clear()
        draft = ""
        return isBlank ? .edited : .submitted(submitted)
    }

    // MARK: - Up/Down: lines of the text, then history

    /// On a later line of multi-line text Up moves the caret up a line; on the first line it
    /// recalls the previous history entry. `.unhandled` when there is nothing to recall, so the
    /// app can use Up for something else.
    private mutating func moveUp() -> Outcome {
        let start = lineStart(of: cursor)
        if start > 0 {
            let column = columnInLine(cursor)
            let previousStart = lineStart(of: start - 1)
            cursor = index(inLineFrom: previousStart, atColumn: column)
            return .edited
        }
        guard !masked, !history.isEmpty else { return .unhandled }
        let current = historyIndex ?? history.count
        guard current > 0 else { return .edited }  // already at the oldest entry
        if historyIndex == nil { draft = text }
        showHistory(current - 1)
        return .edited
    }

    /// On an earlier line Down moves the caret down a line; on the last line it steps to the
    /// next newer history entry, and past the newest restores the draft.
    private mutating func moveDown() -> Outcome {
        let end = lineEnd(of: cursor)
        if end < text.count {
            let column = columnInLine(cursor)
            cursor = index(inLineFrom: end + 1, atColumn: column)
            return .edited
        }
        guard let current = historyIndex else { return .unhandled }
        if current + 1 < history.count {
            showHistory(current + 1)
        } else {
            text = draft
            cursor = text.count
            historyIndex = nil
            draft = ""
        }
        return .edited
    }

    private mutating func showHistory(_ index: Int) {
        text = history[index]
        cursor = text.count
        historyIndex = index
    }

    // MARK: - Positions

    /// Index of the first grapheme of the (logical, "\n"-separated) line containing `index`.
    private func lineStart(of index: Int) -> Int {
        let characters = Array(text)
        var i = min(index, characters.count)
        while i > 0, characters[i - 1] != "\n" { i -= 1 }
        return i
    }

    /// Index of the "\n" ending the line containing `index`, or `text.count`.
    private func lineEnd(of index: Int) -> Int {
        let characters = Array(text)
        var i = min(index, characters.count)
        while i < characters.count, characters[i] != "\n" { i += 1 }
        return i
    }

    /// Display columns from the start of the caret's line to `index`.
    private func columnInLine(_ index: Int) -> Int {
        let characters = Array(text)
        return characters[lineStart(of: index)..<index].reduce(0) { $0 + Self.columns(of: $1) }
    }

    /// Columns a grapheme takes in the field: a tab is drawn as `TextWrapper.tabWidth` spaces,
    /// as the chat pane draws it.
    static func columns(of character: Character) -> Int {
        character == "\t" ? TextWrapper.tabWidth : DisplayWidth.of(character)
    }

    /// The index in the line starting at `start` closest to (not past) display column `column`.
    private func index(inLineFrom start: Int, atColumn column: Int) -> Int {
        let characters = Array(text)
        var i = start
        var used = 0
        while i < characters.count, characters[i] != "\n" {
            let w = Self.columns(of: characters[i])
            if used + w > column { break }
            used += w
            i += 1
        }
        return i
    }

    /// Alt-b / Ctrl-W: back over spaces, then over the word before them.
    private func wordStart(before index: Int) -> Int {
        let characters = Array(text)
        var i = index
        while i > 0, characters[i - 1].isWhitespace { i -= 1 }
        while i > 0, !characters[i - 1].isWhitespace { i -= 1 }
        return i
    }

    /// Alt-f / Alt-d: forward over spaces, then to the end of the word after them.
    private func wordEnd(after index: Int) -> Int {
        let characters = Array(text)
        var i = index
        while i < characters.count, characters[i].isWhitespace { i += 1 }
        while i < characters.count, !characters[i].isWhitespace { i += 1 }
        return i
    }

    // MARK: - Cleaning input

    /// Whether a typed character may go into the text: controls are keys, not text.
    private static func isPrintable(_ character: Character) -> Bool {
        guard let first = character.unicodeScalars.first else { return false }
        return !ControlCharacter.contains(first.value)
    }

    /// Pasted (or app-set) text made safe to keep and draw: CR LF and lone CR become "\n", a tab
    /// stays a tab (the message is sent as pasted; it is drawn as `TextWrapper.tabWidth` spaces),
    /// and every other control character (escape sequences' ESC, bells, …) is dropped so it can
    /// never reach the terminal.
    static func sanitize(_ string: String) -> String {
        var result = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in string.unicodeScalars {
            defer { previousWasCR = scalar == "\r" }
            switch scalar {
            case "\r":
                result.append("\n")
            case "\n":
                if !previousWasCR { result.append("\n") }
            case "\t":
                result.append(scalar)
            default:
                if !ControlCharacter.contains(scalar.value) { result.append(scalar) }
            }
        }
        return String(result)
    }

    // MARK: - Display

    /// The text (or its mask) as it is drawn.
    private var displayCharacters: [Character] {
        masked ? Array(repeating: "•", count: text.count) : Array(text)
    }

    /// The text hard-wrapped for `width` columns, and where the caret is on it.
    ///
    /// Why not word-wrapped: while typing, words jumping between lines would move the caret
    /// unpredictably; breaking purely by display width keeps a one-to-one mapping from grapheme
    /// index to screen cell. A wide character that does not fit moves to the next line whole.
    /// When the caret would sit at column `width` (after a full line at the end of the text, or
    /// before a "\n"), it goes to column 0 of an extra empty line so it is always on screen.
    public func layout(width: Int) -> (lines: [String], cursorLine: Int, cursorColumn: Int) {
        let width = max(1, width)
        let characters = displayCharacters
        var lines: [String] = [""]
        var column = 0
        var caret: (line: Int, column: Int)?

        /// The caret at the end of the current line; past a full line it takes an empty line.
        func placeCaretAtLineEnd() {
            if column >= width {
                lines.append("")
                column = 0
            }
            caret = (lines.count - 1, column)
        }

        for (index, character) in characters.enumerated() {
            if character == "\n" {
                if index == cursor { placeCaretAtLineEnd() }
                lines.append("")
                column = 0
                continue
            }
            let w = Self.columns(of: character)
            if column + w > width, column > 0 {
                lines.append("")
                column = 0
            }
            if index == cursor { caret = (lines.count - 1, column) }
            if character == "\t" {
                lines[lines.count - 1].append(String(repeating: " ", count: w))
            } else {
                lines[lines.count - 1].append(character)
            }
            column += w
        }
        if caret == nil { placeCaretAtLineEnd() }
        let (cursorLine, cursorColumn) = caret ?? (lines.count - 1, column)
        return (lines, cursorLine, cursorColumn)
    }

    /// Draws the editor into `rect` and puts the terminal cursor on the caret.
    ///
    /// Shows the last `rect.height` lines, scrolled up if needed so the caret's line is visible.
    /// When the text is empty the placeholder (a hint such as "Type a message") is shown instead,
    /// with the caret at its start.
    public func render(
        into canvas: inout Canvas,
        rect: Rect,
        style: TextStyle,
        placeholder: String?,
        placeholderStyle: TextStyle
    ) {
        guard !rect.isEmpty else { return }
        canvas.fill(rect, style: style)

        if text.isEmpty, let placeholder, !placeholder.isEmpty {
            let lines = TextWrapper.wrap(placeholder, width: rect.width)
            for (row, line) in lines.prefix(rect.height).enumerated() {
                canvas.put(line, x: rect.x, y: rect.y + row, style: placeholderStyle, maxX: rect.maxX)
            }
            canvas.cursor = (x: rect.x, y: rect.y)
            return
        }

        let (lines, cursorLine, cursorColumn) = layout(width: rect.width)
        let top = min(max(0, lines.count - rect.height), cursorLine)
        for row in 0..<rect.height where top + row < lines.count {
            canvas.put(lines[top + row], x: rect.x, y: rect.y + row, style: style, maxX: rect.maxX)
        }
        canvas.cursor = (x: rect.x + min(cursorColumn, rect.width - 1), y: rect.y + cursorLine - top)
    }
}
