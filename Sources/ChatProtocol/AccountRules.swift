import Foundation

/// The rules for usernames, emails and passwords, shared so the client can validate live and the
/// gate enforces exactly the same thing.
public enum AccountRules {
    public static let usernameLength = 3...32
    public static let passwordMinLength = 8
    /// bcrypt only reads the first 72 bytes; refusing longer passwords beats silently ignoring the rest.
    public static let passwordMaxBytes = 72
    /// In Unicode code points.
    public static let emailMaxLength = 254

    /// Letters, digits, `_`, `.` and `-` (ASCII), starting with a letter: easy to type in any
    /// terminal, impossible to confuse with a control sequence or SQL.
    public static func validateUsername(_ username: String) throws {
        let scalars = username.unicodeScalars
        guard usernameLength.contains(scalars.count) else {
            throw ChatError(
                .invalidUsername,
                "A username has \(usernameLength.lowerBound) to \(usernameLength.upperBound) characters."
            )
        }
        guard let first = scalars.first, first.isASCIILetter else {
            throw ChatError(.invalidUsername, "A username starts with a letter (a–z).")
        }
        guard scalars.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || "_.-".unicodeScalars.contains($0) }) else {
            throw ChatError(.invalidUsername, "A username may only contain letters, digits, '_', '.' and '-'.")
        }
    }

    /// What a username looks like, for refusing one that reads like a taken one (in the spirit
    /// of Unicode TR39's skeletons, for the ASCII that usernames are): lower-cased, `0` read as
    /// `o`, `1` and `i` as `l`, then `rn` as `m`, `vv` as `w` and `cl` as `d`. Stores compare
    /// it in SQL (`usernameSkeletonSQL`, indexed), so the two must stay the same steps.
    public static func usernameSkeleton(_ username: String) -> String {
        var skeleton = username.lowercased()
        for (from, to) in skeletonSteps { skeleton = skeleton.replacingOccurrences(of: from, with: to) }
        return skeleton
    }

    static let skeletonSteps = [("0", "o"), ("1", "l"), ("i", "l"), ("rn", "m"), ("vv", "w"), ("cl", "d")]

    /// `usernameSkeleton` of the `username` column as an SQL expression, for a store to index and
    /// query. `lowercased` is the store's ASCII-only lower-casing of the column: SQLite's
    /// `lower(username)`; PostgreSQL's `lower()` follows the database's locale (a Turkish one
    /// lowers `I` to a dotless ı), so it needs `lower(username COLLATE "C")`.
    public static func usernameSkeletonSQL(lowercased: String = "lower(username)") -> String {
        skeletonSteps.reduce(lowercased) { expression, step in "replace(\(expression), '\(step.0)', '\(step.1)')" }
    }

    public static func validateEmail(_ email: String) throws {
        let invalid = ChatError(.invalidEmail, "That does not look like an email address.")
        // Code points, not characters: a combining mark or a skin-tone modifier merges with the
        // `@` or `.` before it into one character, which would hide it (and a character can be
        // thousands of bytes long). JSON Schema's maxLength counts code points too.
        let scalars = email.unicodeScalars
        guard scalars.count <= emailMaxLength,
            !scalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
        else { throw invalid }
        let parts = scalars.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            parts[1].first != ".", parts[1].last != "."
        else { throw invalid }
    }

    public static func validatePassword(_ password: String) throws {
        guard password.count >= passwordMinLength else {
            throw ChatError(.weakPassword, "A password has at least \(passwordMinLength) characters.")
        }
        guard password.utf8.count <= passwordMaxBytes else {
            throw ChatError(.weakPassword, "A password has at most \(passwordMaxBytes) bytes.")
        }
    }

    /// A text (message, greeting, remark): within `maxBytes`, valid UTF-8 (guaranteed by
    /// `String`), and none of the characters `isRefusedInText` names: controls but tab and newline
    /// (they would rewrite a terminal), bidi overrides and isolates (they make a text read other
    /// than it is), and invisible characters. Whether it may be blank is the caller's rule: a
    /// message may not, a greeting may.
    public static func validateText(
        _ text: String,
        maxBytes: Int = ProtocolLimits.maxTextBytes,
        what: String = "A message"
    ) throws {
        guard text.utf8.count <= maxBytes else {
            throw ChatError(.payloadTooLarge, "\(what) is longer than \(maxBytes) bytes.")
        }
        // Printable ASCII, tab and newline are never refused: most messages are checked by
        // their bytes alone (the Unicode property lookups below cost a server a few percent of
        // its CPU per message, measured with perf in `saturate`).
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F || $0 == 0x09 || $0 == 0x0A }) { return }
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            let strayTag = scalar.isTag && !(previous?.isTag == true || previous?.value == 0x1F3F4)
            if scalar.isRefusedInText || strayTag {
                throw ChatError(.invalidText, "\(what) contains control or invisible characters.")
            }
            previous = scalar
        }
    }

    /// Emails compare without case; they are stored lower-cased.
    public static func normalizedEmail(_ email: String) -> String {
        email.lowercased()
    }
}

extension Unicode.Scalar {
    /// Refused in texts, as the README's "Limits" says:
    /// - C0 controls but tab and newline, DEL, and the C1 controls (U+0080–U+009F): a terminal
    ///   acts on them (U+009B is a one-byte CSI, U+009D an OSC: clipboard writes, titles);
    /// - bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): they reorder
    ///   what is shown, so `evil\u{202E}txt.exe` reads as `evilexe.txt`;
    /// - line and paragraph separators and the interlinear annotation marks;
    /// - every other default-ignorable code point (Unicode's list of characters that show as
    ///   nothing: zero-width space, word joiner, BOM, soft hyphen, Hangul fillers, ...), except
    ///   the ones real text needs: zero-width joiner and non-joiner (emoji sequences, Persian and
    ///   Indic words), the direction marks (they reorder nothing), variation selectors (emoji
    ///   presentation) and tag characters, which `validateText` allows only inside a flag's tag
    ///   sequence (🏴 followed by tags), so they cannot carry hidden ASCII.
    public var isRefusedInText: Bool {
        switch value {
        case 0x09, 0x0A: false
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x202A...0x202E, 0x2066...0x2069: true
        case 0x2028, 0x2029, 0xFFF9...0xFFFB: true
        case 0x200C...0x200F, 0x061C, 0xFE00...0xFE0F, 0xE0100...0xE01EF, 0xE0020...0xE007F: false
        default: properties.isDefaultIgnorableCodePoint
        }
    }

    /// A tag character (U+E0020–U+E007F): invisible ASCII, meant only for flag sequences.
    var isTag: Bool { (0xE0020...0xE007F).contains(value) }

    fileprivate var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension AccountRules {
    /// A search query with an email lower-cased (emails are stored that way); usernames compare
    /// without case in the store anyway.
    public static func normalizedQuery(_ query: String) -> String {
        query.contains("@") ? normalizedEmail(query) : query
    }
}
