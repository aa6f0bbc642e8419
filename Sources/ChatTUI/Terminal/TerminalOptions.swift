/// What the terminal backend is asked to do besides drawing and reading keys, from the config:
/// made here, in plain Swift, so what a setting turns on is testable without a terminal.
public struct TerminalOptions: Sendable, Equatable {
    /// The mouse events to ask the terminal to report; empty: mouse reporting stays off and the
    /// terminal keeps its own mouse (selecting text without Shift).
    public var mouseEvents: Set<MouseEvent.Kind>
    /// How emoji clusters are drawn; `full` writes clusters curses cannot hold past it.
    public var emoji: EmojiMode

    public init(mouseEvents: Set<MouseEvent.Kind> = Set(MouseEvent.Kind.allCases), emoji: EmojiMode = .full) {
        self.mouseEvents = mouseEvents
        self.emoji = emoji
    }

    public init(config: AppConfig) {
        self.init(mouseEvents: config.mouse ? Set(MouseEvent.Kind.allCases) : [], emoji: config.emoji)
    }
}
