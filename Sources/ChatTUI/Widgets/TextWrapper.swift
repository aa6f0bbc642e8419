/// Word-wraps text for display in a fixed number of terminal columns.
///
/// Why it measures with `DisplayWidth` rather than `count`: a terminal draws CJK characters and
/// most emoji two columns wide, so wrapping by character count would overflow the pane. It works
/// one grapheme at a time so that a composed emoji ("👍🏽", "👨‍👩‍👧") or a letter with its accents is
/// never cut in half, and a 2-column character that does not fit at the end of a line moves to the
/// next line whole instead of being split across the edge (which the terminal cannot draw).
public enum TextWrapper {
    /// The columns a tab expands to. Terminals would jump to the next tab stop, which depends on
    /// where the line starts on screen; a fixed expansion keeps the measured width honest.
    public static let tabWidth = 4

    /// `text` broken into lines of at most `width` display columns.
    ///
    /// - "\n" (and "\r\n", "\r") is a hard break; an empty paragraph stays as an empty line.
    /// - A line breaks at the last space that fits, and that space is dropped, so lines do not
    ///   start with the gap between words.
    /// - A word longer than the line is broken between graphemes; text without spaces (CJK)
    ///   therefore wraps at any character.
    /// - `width` below 1 is treated as 1. A 2-column character on a 1-column line gets a line of
    ///   its own (overflowing it) rather than looping forever.
    /// - Empty text gives `[""]`, so callers always have one line to draw.
    public static func wrap(_ text: String, width: Int) -> [String] {
        let width = max(1, width)
        var lines: [String] = []
        for paragraph in paragraphs(of: text) {
            lines.append(contentsOf: wrapParagraph(paragraph, width: width))
        }
        return lines.isEmpty ? [""] : lines
    }

    /// `text` for a one-line preview: line breaks and tabs as single spaces (a tab is otherwise
    /// a control character, which the canvas does not draw).
    public static func oneLine(_ text: String) -> String {
        String(text.map { character -> Character in character.isNewline || character == "\t" ? " " : character })
    }

    /// Splits on hard breaks and expands tabs. Returns at least one (possibly empty) paragraph.
    private static func paragraphs(of text: String) -> [[Character]] {
        var result: [[Character]] = [[]]
        for character in text {
            switch character {
            case "\n", "\r\n", "\r":
                result.append([])
            case "\t":
                result[result.count - 1].append(contentsOf: repeatElement(" ", count: tabWidth))
            default:
                result[result.count - 1].append(character)
            }
        }
        return result
    }

    /// Greedy wrapping of one paragraph (no hard breaks inside).
    private static func wrapParagraph(_ characters: [Character], width: Int) -> [String] {
        var lines: [String] = []
        var line: [Character] = []
        var lineWidth = 0
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let w = DisplayWidth.of(character)
            if lineWidth + w <= width {
                line.append(character)
                lineWidth += w
                index += 1
                continue
            }
            // `character` does not fit on this line.
            if character == " " {
                // Break right here; the space itself is the gap we drop.
                lines.append(String(line))
                line = []
                lineWidth = 0
                index += 1
            } else if let space = line.lastIndex(of: " "), space > 0 {
                // Break at the last space that fit (dropping it); the word after it moves down,
                // and `character` is tried again on the new line.
                lines.append(String(line[..<space]))
                line = Array(line[(space + 1)...])
                lineWidth = DisplayWidth.of(String(line))
            } else if line.isEmpty {
                // Wider than the whole line (a 2-column character at width 1): a line of its own.
                lines.append(String(character))
                index += 1
            } else {
                // One long word: break between graphemes; try `character` again on a fresh line.
                lines.append(String(line))
                line = []
                lineWidth = 0
            }
        }
        if !line.isEmpty || lines.isEmpty {
            lines.append(String(line))
        }
        return lines
    }
}
