import Foundation

/// OSC 52: the terminal puts text on the system clipboard (`ESC ] 52 ; c ; BASE64 ESC \`). It
/// reaches the clipboard of the machine the terminal runs on, over ssh too, which no clipboard
/// tool on this side could. Terminals that do not know it drop it; tmux passes it on with
/// `set -g set-clipboard on` (or through passthrough, as desktop notifications go).
public enum Clipboard {
    /// Terminals cap what they accept (xterm 100 000 bytes of base64 by default; tmux and
    /// kitty more): a longer message is cut rather than silently refused whole.
    public static let maximumBytes = 74_000

    /// The escape sequence that copies `text`. Base64 holds no byte that could end the sequence
    /// early, so a message's text, whatever it holds, cannot become a terminal command.
    public static func osc52(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            bytes += UTF8.width(scalar)
            if bytes > maximumBytes { break }
            kept.append(scalar)
        }
        return "\u{1b}]52;c;" + Data(String(kept).utf8).base64EncodedString() + "\u{1b}\\"
    }
}
