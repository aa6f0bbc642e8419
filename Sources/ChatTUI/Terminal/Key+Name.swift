extension Key {
    /// The key as help and the config file spell it: "Ctrl-F", "Alt-B", "Shift-Tab", "F1",
    /// "PgUp", "↑", a character as itself.
    public var name: String {
        switch self {
        case .character(" "): return "Space"
        case .character(let character): return String(character)
        case .control(let character): return "Ctrl-" + character.uppercased()
        case .alt(let character): return "Alt-" + (character.isLetter ? character.uppercased() : String(character))
        case .enter: return "Enter"
        case .altEnter: return "Alt-Enter"
        case .tab: return "Tab"
        case .backTab: return "Shift-Tab"
        case .backspace: return "Backspace"
        case .delete: return "Del"
        case .escape: return "Esc"
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .function(let number): return "F\(number)"
        case .paste: return "paste"
        case .resize: return "resize"
        }
    }
}
