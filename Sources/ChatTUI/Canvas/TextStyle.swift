/// A colour as the terminal knows it: its default, or one of the 256 xterm colours (0–15 are the
/// classic 16, which every colour terminal has).
public enum TerminalColor: Hashable, Sendable {
    case terminalDefault
    case indexed(UInt8)
}

/// How a cell looks. Views ask the theme for styles by role; the backend turns them into curses
/// attributes and colour pairs.
public struct TextStyle: Hashable, Sendable {
    public var foreground: TerminalColor
    public var background: TerminalColor
    public var bold: Bool
    public var dim: Bool
    public var italic: Bool
    public var underline: Bool
    public var reverse: Bool

    public init(
        foreground: TerminalColor = .terminalDefault,
        background: TerminalColor = .terminalDefault,
        bold: Bool = false,
        dim: Bool = false,
        italic: Bool = false,
        underline: Bool = false,
        reverse: Bool = false
    ) {
        self.foreground = foreground
        self.background = background
        self.bold = bold
        self.dim = dim
        self.italic = italic
        self.underline = underline
        self.reverse = reverse
    }

    public static let plain = TextStyle()

    public func with(
        bold: Bool? = nil,
        reverse: Bool? = nil,
        underline: Bool? = nil,
        background: TerminalColor? = nil
    ) -> TextStyle {
        var style = self
        if let bold { style.bold = bold }
        if let reverse { style.reverse = reverse }
        if let underline { style.underline = underline }
        if let background { style.background = background }
        return style
    }
}
