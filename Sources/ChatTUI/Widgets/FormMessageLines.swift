/// A form's message under its mark ("✗ ", "✓ "), word-wrapped by display width, the rows after
/// the first indented to the text, in at most `rows` rows: when even those are too few, the last
/// one ends in "…", so a cut message reads as cut.
enum FormMessageLines {
    static func wrap(_ mark: String, _ text: String, width: Int, rows: Int) -> [String] {
        let indent = DisplayWidth.of(mark)
        let textWidth = max(1, width - indent)
        let lines = TextWrapper.wrap(text, width: textWidth)
        var shown = Array(lines.prefix(max(1, rows)))
        if lines.count > shown.count {
            let (cut, _) = DisplayWidth.prefix(shown[shown.count - 1], fitting: textWidth - 1)
            shown[shown.count - 1] = cut + "…"
        }
        let padding = String(repeating: " ", count: indent)
        return shown.enumerated().map { ($0.offset == 0 ? mark : padding) + $0.element }
    }
}
