/// Text as drawn in an `EmojiMode`: the views pass user text (messages, names, previews) through
/// `displayed(_:mode:)` before measuring and wrapping it, so the layout fits what is drawn.
public enum EmojiDisplay {
    /// `text` with each emoji cluster drawn the way `mode` says; everything else unchanged.
    public static func displayed(_ text: String, mode: EmojiMode) -> String {
        guard mode != .full, text.unicodeScalars.contains(where: { $0.value >= 0x2000 }) else { return text }
        var result = ""
        for character in text {
            guard isEmoji(character) else {
                result.append(character)
                continue
            }
            switch mode {
            case .full: result.append(character)
            case .single: result += single(character)
            case .text: result += textForm(character)
            }
        }
        return result
    }

    /// Whether a grapheme is an emoji picture: a flag, a code point drawn as emoji by default, or
    /// one made emoji by a presentation selector, a skin tone or a ZWJ sequence (a plain digit or
    /// "©" is not).
    public static func isEmoji(_ character: Character) -> Bool {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return false }
        if isRegionalIndicator(first.value) || first.properties.isEmojiPresentation { return true }
        return first.properties.isEmoji
            && scalars.contains { $0.value == 0xFE0F || $0.value == 0x200D || $0.properties.isEmojiModifier }
    }

    /// Whether curses cannot draw the cluster whole: an emoji of more than one code point (ZWJ
    /// sequences, flags, skin tones, keycaps). A curses cell holds one spacing character plus a
    /// few marks, so the backend draws a stand-in there and, in `full` mode, writes the cluster
    /// itself past curses.
    public static func needsDirectWrite(_ text: String) -> Bool {
        guard text.unicodeScalars.count > 1, let character = text.first, text.count == 1 else { return false }
        return isEmoji(character)
    }

    /// `single`: the first code point, with its presentation selector if it had one (so it
    /// stays two columns). A flag stays whole: a lone regional indicator is drawn differently
    /// by every terminal, so the backend draws a flag's two letters instead.
    static func single(_ character: Character) -> String {
        let scalars = Array(character.unicodeScalars)
        guard let first = scalars.first, !isRegionalIndicator(first.value) else { return String(character) }
        var result = String.UnicodeScalarView([first])
        if scalars.count > 1, scalars[1].value == 0xFE0F { result.append(scalars[1]) }
        return String(result)
    }

    /// `text`: the names of the pictures in brackets, lower case; selectors, skin tones, tags and
    /// the keycap mark left out. A flag is its two letters.
    static func textForm(_ character: Character) -> String {
        let scalars = Array(character.unicodeScalars)
        if scalars.count >= 2, isRegionalIndicator(scalars[0].value), isRegionalIndicator(scalars[1].value) {
            let letters = scalars.prefix(2).map { Character(Unicode.Scalar(UInt8(0x41 + $0.value - 0x1F1E6))) }
            return "[flag " + String(letters) + "]"
        }
        let pictures = scalars.filter { scalar in
            let value = scalar.value
            return value != 0x200D && value != 0xFE0F && value != 0xFE0E && value != 0x20E3
                && !(0xE0020...0xE007F).contains(value) && !scalar.properties.isEmojiModifier
        }
        let names = pictures.compactMap { $0.properties.name?.lowercased() }
        guard !names.isEmpty else { return "[emoji]" }
        return "[" + names.joined(separator: " + ") + "]"
    }

    static func isRegionalIndicator(_ value: UInt32) -> Bool {
        (0x1F1E6...0x1F1FF).contains(value)
    }
}
