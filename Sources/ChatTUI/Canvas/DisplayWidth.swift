import CWideChar

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many terminal columns text takes, the way the terminal will draw it: by `wcwidth` (CJK and
/// most emoji are 2), one grapheme at a time, so a grapheme is never split.
///
/// `wcwidth` follows the locale: the app calls `setlocale(LC_ALL, "")` first, tests call
/// `DisplayWidth.useUTF8Locale()`.
public enum DisplayWidth {
    /// Makes `wcwidth` UTF-8 aware if the process locale is still "C".
    public static func useUTF8Locale() {
        if setlocale(LC_CTYPE, nil).map({ String(cString: $0) }) == "C" {
            _ = setlocale(LC_CTYPE, "C.UTF-8")
        }
    }

    /// Columns of one grapheme: 0 for controls and lone combining marks, else 1 or 2.
    public static func of(_ character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if first.value < 0x20 || (0x7F..<0xA0).contains(first.value) { return 0 }
        // An emoji presentation selector or a ZWJ sequence makes an emoji picture, 2 wide.
        if scalars.count > 1, scalars.contains(where: { $0.value == 0xFE0F || $0.value == 0x200D }) { return 2 }
        if (0x1F1E6...0x1F1FF).contains(first.value) { return 2 }  // a flag (regional indicators)
        let width = Int(cw_width(first.value))
        if width < 0 { return 1 }
        return min(width, 2)
    }

    public static func of(_ text: some StringProtocol) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    /// The longest prefix of `text` that fits in `columns`, and its width.
    public static func prefix(_ text: some StringProtocol, fitting columns: Int) -> (String, Int) {
        var used = 0
        var result = ""
        for character in text {
            let w = of(character)
            if used + w > columns { break }
            used += w
            result.append(character)
        }
        return (result, used)
    }

    /// `text` cut to `columns`, with "…" where it was cut.
    public static func truncate(_ text: some StringProtocol, to columns: Int) -> String {
        guard columns > 0 else { return "" }
        if of(text) <= columns { return String(text) }
        let (cut, _) = prefix(text, fitting: columns - 1)
        return cut + "…"
    }
}
