/// OSC 8 hyperlinks: `ESC ] 8 ; ; URL ESC \` before the link's text, `ESC ] 8 ; ; ESC \` after.
/// Terminals that know them make the text clickable; others drop the sequences. tmux passes them
/// on from 3.4 (the outer terminal needs the `hyperlinks` feature: see the README).
///
/// URLs come from other people's messages, so they are untrusted: only `http` and `https`, and
/// every byte that is not one a URL may hold as it is percent-encoded, so nothing in a URL can
/// end the sequence early or start another.
public enum Hyperlink {
    /// Longer URLs are not linked (terminals cap them; VTE at 2083 bytes).
    public static let maximumLength = 2048

    public static func open(_ safeURL: String) -> String {
        "\u{1b}]8;;" + safeURL + "\u{1b}\\"
    }

    public static let close = "\u{1b}]8;;\u{1b}\\"

    /// `url` as it may go into the escape sequence, or nil if it is not http(s) or too long.
    public static func safeURL(_ url: String) -> String? {
        let lower = url.prefix(8).lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else { return nil }
        var result = String.UnicodeScalarView()
        for byte in url.utf8 {
            if allowed.contains(byte) {
                result.append(Unicode.Scalar(byte))
            } else {
                result.append("%")
                result.append(Unicode.Scalar(hexDigits[Int(byte >> 4)]))
                result.append(Unicode.Scalar(hexDigits[Int(byte & 0x0F)]))
            }
        }
        guard result.count <= maximumLength else { return nil }
        return String(result)
    }

    /// RFC 3986's unreserved and reserved characters, and "%" (the URL may be encoded already).
    private static let allowed = Set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%".utf8
    )

    private static let hexDigits = Array("0123456789ABCDEF".utf8)
}
