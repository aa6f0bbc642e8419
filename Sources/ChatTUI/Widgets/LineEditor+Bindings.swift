extension LineEditor {
    /// An editing command of the input line.
    public enum Edit: String, Sendable, CaseIterable {
        case send, newLine, historyBack, historyForward
        case lineStart, lineEnd, charBack, charForward, wordBack, wordForward
        case killToLineStart, killToLineEnd, killWordBack, killWordForward, yank
        case deleteBack, deleteForward, transpose
    }

    public struct Binding: Sendable, Equatable {
        public var edit: Edit
        public var keys: [Key]
        /// What help says it does.
        public var summary: String
    }

    /// The editing keys: readline's, so they mean what they mean in a shell. `handle(_:)` and the
    /// help overlay both read this table.
    public static let bindings: [Binding] = [
        Binding(edit: .send, keys: [.enter], summary: "send"),
        Binding(edit: .newLine, keys: [.altEnter], summary: "new line"),
        Binding(edit: .historyBack, keys: [.up], summary: "recall sent lines (older)"),
        Binding(edit: .historyForward, keys: [.down], summary: "recall sent lines (newer)"),
        Binding(edit: .lineStart, keys: [.control("a"), .home], summary: "start of line"),
        Binding(edit: .lineEnd, keys: [.control("e"), .end], summary: "end of line"),
        Binding(edit: .charBack, keys: [.control("b"), .left], summary: "back a character"),
        Binding(edit: .charForward, keys: [.control("f"), .right], summary: "forward a character"),
        Binding(edit: .wordBack, keys: [.alt("b")], summary: "back a word"),
        Binding(edit: .wordForward, keys: [.alt("f")], summary: "forward a word"),
        Binding(edit: .killToLineStart, keys: [.control("u")], summary: "delete to the start of the line"),
        Binding(edit: .killToLineEnd, keys: [.control("k")], summary: "delete to the end of the line"),
        Binding(edit: .killWordBack, keys: [.control("w")], summary: "delete the word before"),
        Binding(edit: .killWordForward, keys: [.alt("d")], summary: "delete the word after"),
        Binding(edit: .yank, keys: [.control("y")], summary: "paste what was deleted"),
        Binding(edit: .deleteBack, keys: [.backspace, .control("h")], summary: "delete the character before"),
        Binding(edit: .deleteForward, keys: [.delete, .control("d")], summary: "delete the character under the caret"),
        Binding(edit: .transpose, keys: [.control("t")], summary: "swap the two characters at the caret"),
    ]
}
