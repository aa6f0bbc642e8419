extension Theme {
    /// The attributes-only theme the app uses whenever `NO_COLOR` is set, built in so that it
    /// does not depend on a file being there. It mirrors `Themes/monochrome.toml` (a test keeps
    /// the two in step).
    ///
    /// Dropping the colours of a colour theme is not enough: colour themes mark the selected
    /// row with a background and make its name bold, which without colour looks exactly like an
    /// unread row. Here the friend list's rows differ by attributes alone: selected is reverse,
    /// unread is bold (with an underlined count), a selected unread row is both, the rest plain.
    public static let monochrome: Theme = {
        func s(
            bold: Bool = false,
            dim: Bool = false,
            underline: Bool = false,
            reverse: Bool = false
        ) -> TextStyle {
            TextStyle(bold: bold, dim: dim, underline: underline, reverse: reverse)
        }
        let styles: [ThemeRole: TextStyle] = [
            .base: s(),
            .border: s(dim: true),
            .borderFocused: s(bold: true),
            .title: s(bold: true, reverse: true),
            .selection: s(reverse: true),
            .unreadBadge: s(bold: true, underline: true),
            .online: s(bold: true),
            .offline: s(dim: true),
            .myName: s(bold: true, underline: true),
            .theirName: s(bold: true),
            .timestamp: s(dim: true),
            .messageText: s(),
            .pending: s(dim: true),
            .delivered: s(),
            .failed: s(bold: true, reverse: true),
            .daySeparator: s(dim: true),
            .newMessages: s(bold: true, underline: true),
            .input: s(),
            .placeholder: s(dim: true),
            .statusBar: s(reverse: true),
            .statusConnected: s(bold: true, reverse: true),
            .statusOffline: s(bold: true, underline: true, reverse: true),
            .error: s(bold: true, underline: true),
            .success: s(bold: true),
            .highlight: s(reverse: true),
            .mention: s(bold: true, underline: true),
            .dialog: s(),
            .hint: s(dim: true),
            .banner: s(bold: true, reverse: true),
        ]
        return Theme(name: "Monochrome", styles: styles)
    }()
}
