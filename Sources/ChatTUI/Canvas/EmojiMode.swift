/// How emoji are drawn: `[display] emoji` in config.toml. Only the screen changes; what is typed,
/// sent and stored is always exactly the text.
///
/// Why a setting: a grapheme cluster such as a family (👨‍👩‍👧, five code points), a flag (🇨🇳, two)
/// or a skin tone (👍🏽, two) is one picture two columns wide on a modern terminal, but older
/// terminals and tmux before 3.4 draw each part on its own and the line shifts under them.
public enum EmojiMode: String, Sendable, CaseIterable {
    /// Each cluster whole, two columns wide (the default).
    case full
    /// Only a cluster's first code point (the base emoji, no ZWJ sequence, no skin tone), still two
    /// columns wide; a flag shows as its two letters ("CN").
    case single
    /// A cluster as a short text in brackets: the Unicode names of its pictures ("[thumbs up
    /// sign]", "[man + woman + girl]"), a flag as its letters ("[flag CN]").
    case text
}
