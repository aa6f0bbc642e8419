/// How every role looks. A value, so a theme can be swapped at runtime and compared in tests.
///
/// Themes are normally read from a TOML file by `ThemeLoader`, which resolves inheritance once at
/// load time (a role without a background gets `base`'s background; a missing role is `base`), so
/// drawing code just indexes and never has to think about fallbacks.
public struct Theme: Sendable, Equatable {
    /// The display name ("Default dark").
    public var name: String
    public var styles: [ThemeRole: TextStyle]

    public init(name: String, styles: [ThemeRole: TextStyle]) {
        self.name = name
        self.styles = styles
    }

    /// The style for a role; a role the theme does not define looks like `base`.
    public subscript(role: ThemeRole) -> TextStyle {
        styles[role] ?? styles[.base] ?? .plain
    }

    /// The built-in dark theme, used when the theme file is missing or broken so the app always
    /// starts looking sane. It mirrors `Themes/default.toml` (a test keeps the two in step).
    public static let fallback: Theme = {
        let baseBackground = TerminalColor.indexed(234)
        // Roles that give no background sit on base's, as they would when loaded from a file.
        func s(
            _ fg: UInt8?,
            _ bg: UInt8? = nil,
            bold: Bool = false,
            dim: Bool = false,
            italic: Bool = false,
            underline: Bool = false,
            reverse: Bool = false
        ) -> TextStyle {
            TextStyle(
                foreground: fg.map(TerminalColor.indexed) ?? .terminalDefault,
                background: bg.map(TerminalColor.indexed) ?? baseBackground,
                bold: bold,
                dim: dim,
                italic: italic,
                underline: underline,
                reverse: reverse
            )
        }
        let styles: [ThemeRole: TextStyle] = [
            .base: s(252),
            .border: s(242),
            .borderFocused: s(75, bold: true),
            .title: s(255, 24, bold: true),
            .selection: s(255, 25, bold: true),
            .unreadBadge: s(16, 214, bold: true),
            .online: s(114),
            .offline: s(243),
            .myName: s(81, bold: true),
            .theirName: s(179, bold: true),
            .timestamp: s(245),
            .messageText: s(252),
            .pending: s(244),
            .delivered: s(71),
            .failed: s(203, bold: true),
            .daySeparator: s(245),
            .newMessages: s(209, bold: true),
            .input: s(255, 236),
            .placeholder: s(247, 236, italic: true),
            .statusBar: s(250, 236),
            .statusConnected: s(114, 236, bold: true),
            .statusOffline: s(210, 236, bold: true),
            .error: s(203, bold: true),
            .success: s(114),
            .highlight: s(220, bold: true),
            .mention: s(230, 58),
            .dialog: s(252, 237),
            .hint: s(245),
            .banner: s(231, 61, bold: true),
        ]
        return Theme(name: "Default dark", styles: styles)
    }()
}
