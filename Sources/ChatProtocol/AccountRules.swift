/// The rules for usernames, emails and passwords, shared so the client can validate live and the
/// gate enforces exactly the same thing.
public enum AccountRules {
    public static let usernameLength = 3...32
    public static let passwordMinLength = 8
    /// bcrypt only reads the first 72 bytes; refusing longer passwords beats silently ignoring the rest.
    public static let passwordMaxBytes = 72
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

    public static func validateEmail(_ email: String) throws {
        let invalid = ChatError(.invalidEmail, "That does not look like an email address.")
        guard email.count <= emailMaxLength,
            !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F })
        else { throw invalid }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
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

    /// A text (message, greeting, remark): within `maxBytes`, no NUL or other C0 controls but tab
    /// and newline (they would corrupt a terminal), valid UTF-8 (guaranteed by `String`). Whether
    /// it may be blank is the caller's rule: a message may not, a greeting may.
    public static func validateText(
        _ text: String,
        maxBytes: Int = ProtocolLimits.maxTextBytes,
        what: String = "A message"
    ) throws {
        guard text.utf8.count <= maxBytes else {
            throw ChatError(.payloadTooLarge, "\(what) is longer than \(maxBytes) bytes.")
        }
        guard
            !text.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F })
        else {
            throw ChatError(.invalidText, "\(what) contains control characters.")
        }
    }

    /// Emails compare without case; they are stored lower-cased.
    public static func normalizedEmail(_ email: String) -> String {
        email.lowercased()
    }
}

extension Unicode.Scalar {
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
