import ChatProtocol
import Testing

@Suite("AccountRules")
struct AccountRulesTests {
    /// Runs `body` and checks it throws a `ChatError` with `code`.
    private func expectChatError(
        _ code: ErrorCode,
        _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        let error = #expect(throws: ChatError.self, comment, sourceLocation: sourceLocation) {
            try body()
        }
        #expect(error?.code == code, comment, sourceLocation: sourceLocation)
    }

    // MARK: Usernames

    @Test(arguments: ["alice", "Bob_99", "a.b-c", "abc", "Z99", "a--", "x_._y", "MiXeD.Case-42"])
    func validUsernames(_ username: String) throws {
        try AccountRules.validateUsername(username)
    }

    @Test func usernameLengthBoundaries() throws {
        try AccountRules.validateUsername("abc")
        try AccountRules.validateUsername("a" + String(repeating: "b", count: 31))
        #expect(AccountRules.usernameLength == 3...32)
    }

    @Test(arguments: [
        "",  // empty
        "ab",  // too short
        "a" + String(repeating: "b", count: 32),  // 33 characters: too long
        "9lives",  // starts with a digit
        "_alice",  // starts with an underscore
        ".alice",  // starts with a dot
        "-alice",  // starts with a dash
        "robert'); DROP TABLE users;--",  // SQL
        "ali\u{0}ce",  // NUL
        "ali\u{1b}[31mce",  // terminal escape sequence
        "alice\n",  // newline
        "ali\tce",  // tab
        "ali\u{7F}ce",  // DEL
        "名字",  // not ASCII (and short)
        "名字名字名字",  // not ASCII
        "alicé",  // accented letter
        "ａｌｉｃｅ",  // full-width letters
        "with space",  // space
        " alice",  // leading space
        "alice@example.com",  // '@'
        "al/ice",  // slash
        "al%ice",  // LIKE wildcard
        "ali\u{200B}ce",  // zero-width space
    ])
    func invalidUsernames(_ username: String) {
        expectChatError(.invalidUsername, "username \(username.debugDescription)") {
            try AccountRules.validateUsername(username)
        }
    }

    // MARK: Emails

    @Test(arguments: [
        "alice@example.com",
        "ALICE@Example.COM",
        "a.b+tag@mail.example.org",
        "x@y.z",
        "用户@例子.中国",
        "0@0.\u{1F3FB}",  // a modifier merged with the dot into one character: the dot still counts
    ])
    func validEmails(_ email: String) throws {
        try AccountRules.validateEmail(email)
    }

    @Test(arguments: [
        "",
        "alice",
        "@example.com",
        "alice@",
        "alice@example",
        "alice@.example.com",
        "alice@example.com.",
        "alice@@example.com",
        "a@b@example.com",
        "ali ce@example.com",
        " alice@example.com",
        "alice@example.com ",
        "alice@example.com\n",
        "\talice@example.com",
        "alice\u{0}@example.com",
        "alice@exa\u{1b}mple.com",
        "alice\u{7F}@example.com",
        "alice\u{00A0}@example.com",  // no-break space
        "alice\u{3000}@example.com",  // ideographic space
        "alice\r\n@example.com",
    ])
    func invalidEmails(_ email: String) {
        expectChatError(.invalidEmail, "email \(email.debugDescription)") {
            try AccountRules.validateEmail(email)
        }
    }

    /// The limit counts code points, so a few characters of many combining marks each are long.
    @Test func emailLengthCountsCodePoints() {
        let heavy = "a" + String(repeating: "\u{0301}", count: 2_000) + "@example.com"
        #expect(heavy.count < AccountRules.emailMaxLength)
        expectChatError(.invalidEmail) { try AccountRules.validateEmail(heavy) }
    }

    @Test func emailLengthLimit() throws {
        let domain = "@example.com"
        let longest = String(repeating: "a", count: AccountRules.emailMaxLength - domain.count) + domain
        #expect(longest.count == AccountRules.emailMaxLength)
        try AccountRules.validateEmail(longest)
        expectChatError(.invalidEmail) {
            try AccountRules.validateEmail("a" + longest)
        }
    }

    @Test func emailsAreNormalizedToLowerCase() {
        #expect(AccountRules.normalizedEmail("Alice@Example.COM") == "alice@example.com")
        #expect(AccountRules.normalizedQuery("Alice@Example.COM") == "alice@example.com")
        // A username query is left alone (the store compares usernames without case).
        #expect(AccountRules.normalizedQuery("AliCe") == "AliCe")
    }

    // MARK: Passwords

    @Test func passwordLengthRules() throws {
        expectChatError(.weakPassword) { try AccountRules.validatePassword("") }
        expectChatError(.weakPassword) { try AccountRules.validatePassword("1234567") }
        try AccountRules.validatePassword("12345678")
        try AccountRules.validatePassword(String(repeating: "p", count: AccountRules.passwordMaxBytes))
        expectChatError(.weakPassword) {
            try AccountRules.validatePassword(String(repeating: "p", count: AccountRules.passwordMaxBytes + 1))
        }
    }

    @Test func passwordMinimumCountsCharactersAndMaximumCountsBytes() throws {
        // 8 characters of 3 bytes each: long enough, and 24 bytes is within bcrypt's 72.
        try AccountRules.validatePassword("密码密码密码密码")
        // 7 emoji: 28 bytes, but only 7 characters.
        expectChatError(.weakPassword) { try AccountRules.validatePassword("🔑🔑🔑🔑🔑🔑🔑") }
        // 25 characters, 75 bytes: over the byte limit although well over the character minimum.
        let tooManyBytes = String(repeating: "密", count: 25)
        #expect(tooManyBytes.utf8.count == 75)
        expectChatError(.weakPassword) { try AccountRules.validatePassword(tooManyBytes) }
        // 24 characters, 72 bytes: exactly at the limit.
        try AccountRules.validatePassword(String(repeating: "密", count: 24))
    }

    // MARK: Text

    @Test(arguments: [
        "hello",
        "line one\nline two",
        "col1\tcol2",
        "你好，世界",
        "👋🏽🎉👨‍👩‍👧‍👦",
        "混合 text with 表情 😀\n\tand more",
        "می‌خواهم",  // a zero-width non-joiner, as Persian writes
        "שלום \u{200F}مرحبا\u{200E}",  // right-to-left and left-to-right marks
        "🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}",  // the flag of England: a tag sequence
        "❤\u{FE0F}",  // a variation selector
    ])
    func validTexts(_ text: String) throws {
        try AccountRules.validateText(text)
    }

    @Test(arguments: [
        "\u{0}",
        "null\u{0}byte",
        "bell\u{7}",
        "\u{1b}[31mred\u{1b}[0m",
        "carriage\rreturn",
        "windows\r\nnewline",
        "delete\u{7F}",
        "backspace\u{8}",
        "form\u{C}feed",
        "vertical\u{B}tab",
        "unit\u{1F}separator",
        "c1 csi \u{9B}2J",
        "c1 osc \u{9D}52;c;eA==\u{9C}",
        "next line\u{85}",
        "evil\u{202E}txt.exe",
        "embedding\u{202A}",
        "\u{2066}isolate\u{2069}",
        "first strong\u{2068}",
        "zero\u{200B}width",
        "word\u{2060}joiner",
        "bom\u{FEFF}",
        "line\u{2028}separator",
        "paragraph\u{2029}separator",
        "soft\u{AD}hyphen",
        "hangul\u{3164}filler",
        "hidden \u{E0069}\u{E0067}\u{E006E}\u{E006F}\u{E0072}\u{E0065}",  // ASCII smuggled in tag characters
        "grapheme\u{34F}joiner",
    ])
    func textWithControlCharactersIsInvalid(_ text: String) {
        expectChatError(.invalidText, "text \(text.debugDescription)") {
            try AccountRules.validateText(text)
        }
    }

    @Test func textByteLimit() throws {
        let atLimit = String(repeating: "a", count: ProtocolLimits.maxTextBytes)
        try AccountRules.validateText(atLimit)
        expectChatError(.payloadTooLarge) {
            try AccountRules.validateText(atLimit + "a")
        }
    }

    @Test func textLimitCountsUTF8BytesNotCharacters() throws {
        // "字" is 3 bytes: a third as many characters already fills the limit.
        let count = ProtocolLimits.maxTextBytes / 3
        let fits = String(repeating: "字", count: count)
        try AccountRules.validateText(fits)
        let over = fits + String(repeating: "字", count: 1)
        #expect(over.count < ProtocolLimits.maxTextBytes)
        #expect(over.utf8.count > ProtocolLimits.maxTextBytes)
        expectChatError(.payloadTooLarge) {
            try AccountRules.validateText(over)
        }
    }

    @Test func textWithCustomLimitNamesWhatWasTooLong() throws {
        try AccountRules.validateText(String(repeating: "x", count: 10), maxBytes: 10, what: "A remark")
        let error = #expect(throws: ChatError.self) {
            try AccountRules.validateText(String(repeating: "x", count: 11), maxBytes: 10, what: "A remark")
        }
        #expect(error?.code == .payloadTooLarge)
        #expect(error?.message.contains("A remark") == true)
        #expect(error?.message.contains("10") == true)
    }
}

/// The conversation list's previews: bounded in characters and in bytes.
@Suite struct PreviewCutTests {
    @Test func aPreviewIsBoundedInCharactersAndInBytes() {
        #expect("short".previewCut() == "short")
        let long = String(repeating: "字", count: 200)
        #expect(long.previewCut() == String(repeating: "字", count: 120))
        let bomb = "e" + String(repeating: "\u{301}", count: 8_000)
        let cut = bomb.previewCut()
        #expect(cut.utf8.count <= ProtocolLimits.previewBytes)
        #expect(cut.utf8.count >= ProtocolLimits.previewBytes - 3)
        // 120 emoji of 4 bytes each are exactly the byte bound: kept whole.
        #expect(String(repeating: "🚀", count: 130).previewCut() == String(repeating: "🚀", count: 120))
    }
}

/// Usernames that read like one another have one skeleton.
@Suite struct UsernameSkeletonTests {
    @Test(arguments: [
        ("alice", "aIice"), ("alice", "ALICE"), ("alice", "a1ice"), ("bob", "b0b"), ("mallory", "rnallory"),
        ("will", "vvill"), ("dave", "clave"),
    ])
    func lookalikesShareASkeleton(_ name: String, _ lookalike: String) {
        #expect(AccountRules.usernameSkeleton(name) == AccountRules.usernameSkeleton(lookalike))
    }

    @Test func differentNamesKeepDifferentSkeletons() {
        let names = ["alice", "alicia", "bob", "bobby", "carol", "mallory", "trent"]
        #expect(Set(names.map(AccountRules.usernameSkeleton)).count == names.count)
    }

    @Test func theSQLExpressionTakesTheSameSteps() {
        #expect(
            AccountRules.usernameSkeletonSQL().hasPrefix(
                "replace(replace(replace(replace(replace(replace(lower(username)"
            )
        )
        #expect(AccountRules.usernameSkeletonSQL().hasSuffix(", 'cl', 'd')"))
    }
}
