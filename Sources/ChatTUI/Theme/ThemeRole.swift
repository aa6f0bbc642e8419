/// What a piece of the screen *is*, not how it looks. Views ask the theme for a role, so a theme
/// file can restyle the whole app without any view knowing about colours. The raw values are the
/// table names in theme files (kebab-case, as TOML files usually spell things).
public enum ThemeRole: String, CaseIterable, Sendable {
    /// The screen's background and default text; every other role falls back to it.
    case base = "base"
    /// Pane borders of unfocused panes.
    case border = "border"
    /// The border of the pane that has the keyboard, so you can see where typing goes.
    case borderFocused = "border-focused"
    /// Pane and window titles.
    case title = "title"
    /// The highlighted row in a list (chats, contacts, search results). Must be obvious.
    case selection = "selection"
    /// The unread count next to a chat. Must stand out, also on a selected row.
    case unreadBadge = "unread-badge"
    /// A contact's presence dot/label when online…
    case online = "online"
    /// …and when offline.
    case offline = "offline"
    /// Your own name on your messages.
    case myName = "my-name"
    /// The other person's name on theirs.
    case theirName = "their-name"
    /// Message times: present but quiet.
    case timestamp = "timestamp"
    /// The body of a message.
    case messageText = "message-text"
    /// The mark on a message the server has not confirmed yet.
    case pending = "pending"
    /// The mark on a message the server has stored/delivered.
    case delivered = "delivered"
    /// The mark on a message that could not be sent.
    case failed = "failed"
    /// "── Tuesday 4 March ──" lines between days.
    case daySeparator = "day-separator"
    /// The "new messages" line above the first unread message.
    case newMessages = "new-messages"
    /// The compose box's text.
    case input = "input"
    /// The hint shown in an empty compose box or field.
    case placeholder = "placeholder"
    /// The bottom status bar.
    case statusBar = "status-bar"
    /// The status bar's "connected" indicator.
    case statusConnected = "status-connected"
    /// The status bar's "offline / reconnecting" indicator.
    case statusOffline = "status-offline"
    /// Error messages (failed sign-in, rejected input).
    case error = "error"
    /// Confirmations (request sent, settings saved).
    case success = "success"
    /// Matched text in searches and mentions.
    case highlight = "highlight"
    /// The text of a message that names me ("@alice", "@all"): it must catch the eye in a
    /// busy group, also among search matches.
    case mention = "mention"
    /// Dialog boxes drawn over the panes.
    case dialog = "dialog"
    /// Key hints ("Tab switch pane · Ctrl-Q quit").
    case hint = "hint"
    /// A full-width notice at the top (connection lost, theme warning).
    case banner = "banner"
}
