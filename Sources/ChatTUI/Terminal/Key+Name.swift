extension Key {
    /// The key as help and the config file spell it: "Ctrl-F", "Alt-B", "Shift-Tab", "F1",
    /// "PgUp", "↑", a character as itself.
    public var name: String {
        switch self {
        case .character(" "): return "Space"
        case .character(let character): return String(character)
        case .control(" "): return "Ctrl-Space"
        case .control(let character): return "Ctrl-" + character.uppercased()
        case .alt(" "): return "Alt-Space"
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
        case .mouse: return "mouse"
        }
    }
}

extension Key {
    /// The key a name stands for, spelled as `name` spells it ("Ctrl-N", "Alt-A", "Alt-1", "F5",
    /// "PgUp", "Shift-Tab", "↑", "Space", "q"): what `[keys]` in config.toml is written in.
    /// Named keys and modifiers are read in any case ("ctrl-n", "pgup"), and the ASCII
    /// spellings people reach for are taken too ("Up", "Delete", "Escape", "PageDown"). A single
    /// character is itself, case and all. Nil for what no terminal sends as one key, so a typo
    /// is reported instead of binding nothing.
    public init?(name: String) {
        let lower = name.lowercased()
        if let key = Self.named[lower] {
            self = key
            return
        }
        if name.count == 1, let character = name.first {
            guard Self.isPrintable(character) else { return nil }
            self = .character(character)
            return
        }
        let digits = lower.dropFirst()
        if lower.hasPrefix("f"), !digits.isEmpty, digits.count <= 2, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let number = Int(digits), (1...63).contains(number)
        {
            self = .function(number)
            return
        }
        if lower.hasPrefix("ctrl-") {
            let rest = name.dropFirst("ctrl-".count)
            if rest.lowercased() == "space" {
                self = .control(" ")
                return
            }
            // What a terminal can send with Ctrl: a letter, or \ ] ^ _.
            guard rest.count == 1, let character = rest.first?.lowercased().first,
                (character.isASCII && character.isLetter) || "\\]^_".contains(character)
            else { return nil }
            self = .control(character)
            return
        }
        if lower.hasPrefix("alt-") {
            let rest = name.dropFirst("alt-".count)
            if rest.lowercased() == "space" {
                self = .alt(" ")
                return
            }
            // Alt-Enter is in `named`; Alt plus another named key is not one key to a terminal.
            guard rest.count == 1, let character = rest.first, Self.isPrintable(character) else { return nil }
            self = .alt(character.isLetter ? character.lowercased().first ?? character : character)
            return
        }
        return nil
    }

    private static func isPrintable(_ character: Character) -> Bool {
        character.unicodeScalars.allSatisfy { !ControlCharacter.contains($0.value) }
    }

    /// Named keys by lower-cased name: help's spelling and the common ASCII ones.
    private static let named: [String: Key] = [
        "space": .character(" "),
        "enter": .enter, "return": .enter,
        "alt-enter": .altEnter,
        "tab": .tab,
        "shift-tab": .backTab, "backtab": .backTab,
        "backspace": .backspace,
        "del": .delete, "delete": .delete,
        "esc": .escape, "escape": .escape,
        "↑": .up, "up": .up,
        "↓": .down, "down": .down,
        "←": .left, "left": .left,
        "→": .right, "right": .right,
        "home": .home,
        "end": .end,
        "pgup": .pageUp, "pageup": .pageUp,
        "pgdn": .pageDown, "pagedown": .pageDown,
    ]
}
