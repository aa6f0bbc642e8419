/// What a terminal backend reads before it means anything: a code point, or a key the terminal
/// library already recognised (curses decodes arrows and function keys it finds in terminfo).
public enum TerminalInput: Equatable, Sendable {
    case scalar(UInt32)
    case key(Key)
}

/// Turns terminal input into keys: escape sequences (CSI, SS3, xterm's modifyOtherKeys, the
/// kitty/fixterms `CSI u` form), Alt as an ESC prefix, bracketed paste, and code points joined
/// into whole graphemes.
///
/// Why it is apart from the curses backend: it is the part with the rules, and the rules are
/// easiest to get wrong. Here it is plain Swift fed from any source, so a table of byte
/// sequences tests it (`KeyDecoderTests`); the backend only says how to wait for input.
public struct KeyDecoder {
    /// Reads the next input, waiting at most `timeoutMilliseconds` (-1: forever, 0: only what is
    /// already there); nil if nothing came in time.
    public typealias Source = (_ timeoutMilliseconds: Int) -> TerminalInput?

    /// How long to wait after ESC for the rest of a sequence. Terminals send a whole sequence
    /// at once, people cannot type that fast, so 25 ms tells Alt-x from Esc then x.
    public static let escapeTimeout = 25
    /// A paste that goes quiet this long without its end marker is taken as finished.
    public static let pasteTimeout = 500
    /// Pastes are cut at 1 MB (the rest is read and dropped, never typed as keys).
    public static let pasteLimit = 1 << 20

    /// Input read but not used yet (read-ahead while assembling a grapheme or a sequence).
    private var pushback: [TerminalInput] = []

    public init() {}

    /// The next key, waiting at most `timeoutMilliseconds` for input to start (-1: forever).
    /// Input that decodes to nothing (an unknown escape sequence, a stray C1 control) is skipped.
    public mutating func nextKey(timeoutMilliseconds: Int, clock: () -> Int, from source: Source) -> Key? {
        let deadline = timeoutMilliseconds < 0 ? nil : clock() + timeoutMilliseconds
        while true {
            let remaining = deadline.map { max(0, $0 - clock()) } ?? -1
            guard let input = read(remaining, source) else { return nil }
            if let key = decode(input, source) { return key }
        }
    }

    // MARK: - Reading

    private mutating func read(_ timeout: Int, _ source: Source) -> TerminalInput? {
        if !pushback.isEmpty { return pushback.removeFirst() }
        return source(timeout)
    }

    private mutating func unread(_ input: TerminalInput) {
        pushback.insert(input, at: 0)
    }

    // MARK: - Decoding

    private mutating func decode(_ input: TerminalInput, _ source: Source) -> Key? {
        switch input {
        case .key(let key):
            return key
        case .scalar(let value):
            switch value {
            case 27: return decodeEscape(source)
            case 13, 10: return .enter
            case 9: return .tab
            case 8, 127: return .backspace
            case 0: return .control(" ")
            case 1...26: return .control(Character(Unicode.Scalar(UInt8(0x60 + value))))
            case 28: return .control("\\")
            case 29: return .control("]")
            case 30: return .control("^")
            case 31: return .control("_")
            case 0x80..<0xA0: return nil
            default:
                guard let scalar = Unicode.Scalar(value) else { return nil }
                return .character(assembleCharacter(startingWith: scalar, source))
            }
        }
    }

    /// One user-perceived character. Terminals hand over code points one at a time, so an
    /// accented letter typed as letter + combining mark, an emoji with a skin tone or variation
    /// selector, a ZWJ sequence or a flag arrives in pieces. Whatever is already waiting is read
    /// (without waiting) and joined while it still makes a single grapheme.
    private mutating func assembleCharacter(startingWith scalar: Unicode.Scalar, _ source: Source) -> Character {
        var text = String(Character(scalar))
        while let next = read(0, source) {
            guard case .scalar(let value) = next, value >= 0x20, !ControlCharacter.contains(value),
                let nextScalar = Unicode.Scalar(value)
            else {
                unread(next)
                break
            }
            var candidate = text
            candidate.unicodeScalars.append(nextScalar)
            guard candidate.count == 1 else {
                unread(next)
                break
            }
            text = candidate
        }
        return text.first ?? Character(scalar)
    }

    /// After ESC: nothing → Esc; Enter → Alt-Enter; a printable character → Alt plus it;
    /// "[" or "O" → the rest of an escape sequence the terminal library did not translate
    /// itself (bracketed paste, keys with modifiers on terminals whose terminfo lacks them).
    private mutating func decodeEscape(_ source: Source) -> Key? {
        guard let next = read(Self.escapeTimeout, source) else { return .escape }
        switch next {
        case .key(let key):
            // Alt plus a special key: keep the key (Alt-Left/Right as word motion).
            if key == .left { return .alt("b") }
            if key == .right { return .alt("f") }
            return key
        case .scalar(let value):
            switch value {
            case 13, 10:
                return .altEnter
            case 27:
                unread(next)
                return .escape
            case 0x5B:
                return decodeCSI(source)
            case 0x4F:
                return decodeSS3(source)
            default:
                guard value >= 0x20, !ControlCharacter.contains(value), let scalar = Unicode.Scalar(value) else {
                    // Alt plus a control key: the control key alone.
                    return decode(next, source)
                }
                return .alt(Character(scalar))
            }
        }
    }

    /// ESC [ parameters final.
    private mutating func decodeCSI(_ source: Source) -> Key? {
        var parameters = ""
        while true {
            guard let input = read(Self.escapeTimeout, source) else {
                return parameters.isEmpty ? .alt("[") : nil
            }
            guard case .scalar(let value) = input, (0x20...0x7E).contains(value) else {
                unread(input)
                return parameters.isEmpty ? .alt("[") : nil
            }
            if value >= 0x40 {
                return decodeCSI(parameters: parameters, final: Character(Unicode.Scalar(UInt8(value))), source)
            }
            parameters.append(Character(Unicode.Scalar(UInt8(value))))
            if parameters.count > 64 { return nil }
        }
    }

    private mutating func decodeCSI(parameters: String, final: Character, _ source: Source) -> Key? {
        // Private sequences (mouse, terminal replies) start with < = > ?: not keys.
        if let first = parameters.first, "<=>?".contains(first) { return nil }
        let numbers = parameters.split(separator: ";", omittingEmptySubsequences: false).map {
            Int($0.prefix { $0 != ":" })
        }
        let first = numbers.first ?? nil
        let modifier = numbers.count > 1 ? (numbers[1] ?? 1) : 1
        let altOrControl = (modifier - 1) & 6 != 0
        switch final {
        case "A": return .up
        case "B": return .down
        case "C": return altOrControl ? .alt("f") : .right
        case "D": return altOrControl ? .alt("b") : .left
        case "H": return .home
        case "F": return .end
        case "Z": return .backTab
        case "P": return .function(1)
        case "Q": return .function(2)
        case "R": return .function(3)
        case "S": return .function(4)
        case "u":
            // CSI code ; modifiers u (fixterms / kitty).
            return first.flatMap { Self.decodeModified(code: $0, modifier: modifier) }
        case "~":
            switch first {
            case 200: return readPaste(source)
            case 27:
                // xterm modifyOtherKeys: CSI 27 ; modifiers ; code ~
                guard numbers.count > 2, let code = numbers[2] else { return nil }
                return Self.decodeModified(code: code, modifier: modifier)
            case 1, 7: return .home
            case 4, 8: return .end
            case 3: return .delete
            case 5: return .pageUp
            case 6: return .pageDown
            case let n? where (11...15).contains(n): return .function(n - 10)
            case let n? where (17...21).contains(n): return .function(n - 11)
            case let n? where (23...24).contains(n): return .function(n - 12)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// A key reported with its modifiers as numbers (CSI u, modifyOtherKeys). Shift/Alt/Ctrl-
    /// Enter all become Alt-Enter (a newline in the composer).
    static func decodeModified(code: Int, modifier: Int) -> Key? {
        let bits = max(0, modifier - 1)
        let shift = bits & 1 != 0
        let alt = bits & 2 != 0
        let control = bits & 4 != 0
        switch code {
        case 13: return shift || alt || control ? .altEnter : .enter
        case 9: return shift ? .backTab : .tab
        case 8, 127: return .backspace
        case 27: return .escape
        default:
            guard code >= 0x20, code < 0x110000, !ControlCharacter.contains(UInt32(code)),
                let scalar = Unicode.Scalar(UInt32(code))
            else { return nil }
            let character = Character(scalar)
            if control, let letter = character.lowercased().first, letter.isASCII, letter.isLetter {
                return .control(letter)
            }
            return alt ? .alt(character) : .character(character)
        }
    }

    /// ESC O final (SS3): arrows, Home/End, F1–F4 in application mode.
    private mutating func decodeSS3(_ source: Source) -> Key? {
        guard let input = read(Self.escapeTimeout, source) else { return .alt("O") }
        if case .scalar(let value) = input {
            switch value {
            case 0x41: return .up
            case 0x42: return .down
            case 0x43: return .right
            case 0x44: return .left
            case 0x48: return .home
            case 0x46: return .end
            case 0x4D: return .enter
            case 0x50, 0x51, 0x52, 0x53: return .function(Int(value) - 0x4F)
            default: break
            }
        }
        unread(input)
        return .alt("O")
    }

    /// Everything up to ESC [ 201 ~ as one paste. Line breaks (terminals send "\r") become
    /// "\n"; other control characters are dropped, so pasted escape sequences stay inert.
    /// Text beyond `pasteLimit` bytes is read and thrown away.
    private mutating func readPaste(_ source: Source) -> Key? {
        let endMarker: [UInt32] = [27, 0x5B, 0x32, 0x30, 0x31, 0x7E]
        var matched = 0
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        var lastWasCR = false

        func emit(_ value: UInt32) {
            var value = value
            if value == 10, lastWasCR {
                lastWasCR = false
                return
            }
            lastWasCR = value == 13
            if value == 13 { value = 10 }
            if value != 10, value != 9, ControlCharacter.contains(value) { return }
            guard let scalar = Unicode.Scalar(value) else { return }
            let length = UTF8.width(scalar)
            guard bytes + length <= Self.pasteLimit else { return }
            bytes += length
            scalars.append(scalar)
        }

        while let input = read(Self.pasteTimeout, source) {
            switch input {
            case .key(let key):
                // The terminal library recognised a key sequence inside the paste; keep only
                // line breaks.
                for held in endMarker[0..<matched] { emit(held) }
                matched = 0
                if key == .enter { emit(10) }
            case .scalar(let value):
                if value == endMarker[matched] {
                    matched += 1
                    if matched == endMarker.count {
                        return scalars.isEmpty ? nil : .paste(String(scalars))
                    }
                    continue
                }
                for held in endMarker[0..<matched] { emit(held) }
                matched = value == endMarker[0] ? 1 : 0
                if matched == 0 { emit(value) }
            }
        }
        // The terminal went quiet without the end marker: take what came.
        return scalars.isEmpty ? nil : .paste(String(scalars))
    }

    // MARK: - terminfo names

    /// Keys that curses knows only by terminfo name: shifted keys (KEY_SLEFT, …) and the xterm
    /// extended names for keys with modifiers ("kLFT5" is Ctrl-Left, "kRIT3" Alt-Right; the
    /// digit is 1 + shift 1, alt 2, ctrl 4). Ctrl/Alt-Left/Right become Alt-b/Alt-f, the usual
    /// word-motion keys; other modifiers are dropped.
    public static func key(forTerminfoName name: String) -> Key? {
        switch name {
        case "KEY_SLEFT": return .left
        case "KEY_SRIGHT": return .right
        case "KEY_SR": return .up
        case "KEY_SF": return .down
        case "KEY_SHOME": return .home
        case "KEY_SEND": return .end
        case "KEY_SPREVIOUS": return .pageUp
        case "KEY_SNEXT": return .pageDown
        case "KEY_SDC": return .delete
        default: break
        }
        guard name.hasPrefix("k") else { return nil }
        let base = String(name.dropFirst().prefix { $0.isLetter })
        let modifier = Int(name.drop { !$0.isNumber }) ?? 2
        let altOrControl = (modifier - 1) & 6 != 0
        switch base {
        case "LFT": return altOrControl ? .alt("b") : .left
        case "RIT": return altOrControl ? .alt("f") : .right
        case "UP": return .up
        case "DN": return .down
        case "HOM": return .home
        case "END": return .end
        case "PRV": return .pageUp
        case "NXT": return .pageDown
        case "DC": return .delete
        default: return nil
        }
    }
}
