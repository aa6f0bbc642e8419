/// A foreground role drawn on a background role somewhere on screen, and how much contrast it
/// needs there. `all` is the one list of what the views draw: `ThemeContrastTests` measures every
/// shipped theme against it, and renders the screens to catch a view that draws a pair missing
/// here. Change a view's colours and this list together.
///
/// Most pairs are a role on its own background: the loader gives every role a background (its
/// own, or base's), and views draw each role with both. The exceptions are the selected rows:
/// the friend list draws its presence mark, time and preview with `Theme.onSelectedRow`, that is
/// in the selection's colours, so they are the selection's pair; the unread badge keeps its own
/// colours on any row. Reverse video swaps a pair's colours and leaves its ratio alone.
///
/// The terminal's default colour (`"default"`, -1) has no known value. A pair that is the
/// terminal's default on both sides is the terminal's own text, readable by the user's choice
/// (the monochrome theme); a pair that mixes the default with a set colour is an error, since the
/// default may be either light or dark: a theme sets both colours where it sets either.
public struct ThemeContrastPair: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// Words and numbers: WCAG AA for normal text, 4.5:1.
        case text
        /// Borders, presence dots and delivery marks: WCAG non-text contrast, 3:1. Only for
        /// things whose meaning is also carried by their shape or by the words next to them.
        case marker

        public var minimumRatio: Double {
            switch self {
            case .text: 4.5
            case .marker: 3
            }
        }
    }

    /// What a pair measures in one theme.
    public enum Measurement: Sendable, Equatable {
        case ratio(Double)
        /// Both colours are the terminal's default: its own text on its own background.
        case terminalDefaults
        /// One colour is the terminal's default and the other is not: nobody can say.
        case mixedWithDefault
    }

    public var foreground: ThemeRole
    public var background: ThemeRole
    public var kind: Kind
    /// Where the views draw it, for failure messages and for whoever edits those views.
    public var drawnBy: String

    public init(_ foreground: ThemeRole, on background: ThemeRole, _ kind: Kind, drawnBy: String) {
        self.foreground = foreground
        self.background = background
        self.kind = kind
        self.drawnBy = drawnBy
    }

    public var description: String {
        "\(foreground.rawValue) on \(background.rawValue) (\(drawnBy))"
    }

    public func measure(in theme: Theme) -> Measurement {
        let front = theme[foreground].foreground
        let back = theme[background].background
        if let ratio = TerminalColor.contrastRatio(front, back) { return .ratio(ratio) }
        return front == .terminalDefault && back == .terminalDefault ? .terminalDefaults : .mixedWithDefault
    }

    /// Every pair the views draw.
    public static let all: [ThemeContrastPair] = [
        .init(.base, on: .base, .text, drawnBy: "screen background; friend names, bold when unread; too-small notice"),
        .init(
            .selection,
            on: .selection,
            .text,
            drawnBy: "selected rows: the friend list's (name, presence mark, time, preview: Theme.onSelectedRow), "
                + "search results, find people, requests, theme picker"
        ),
        .init(
            .unreadBadge,
            on: .unreadBadge,
            .text,
            drawnBy: "unread count and a group's @ in the conversation list, on any row"
        ),
        .init(.border, on: .border, .marker, drawnBy: "unfocused pane borders"),
        .init(.borderFocused, on: .borderFocused, .marker, drawnBy: "the focused pane's border, dialog borders"),
        .init(.title, on: .title, .text, drawnBy: "pane, dialog and form titles, field labels, help headings"),
        .init(.online, on: .online, .marker, drawnBy: "● presence mark in the friend list, member pane and pickers"),
        .init(.offline, on: .offline, .marker, drawnBy: "○ presence mark in the friend list, member pane and pickers"),
        .init(.myName, on: .myName, .text, drawnBy: "chat pane: my name"),
        .init(.theirName, on: .theirName, .text, drawnBy: "chat pane: the friend's name"),
        .init(
            .timestamp,
            on: .timestamp,
            .text,
            drawnBy: "message times, last-message times in the friend list, search result dates"
        ),
        .init(.messageText, on: .messageText, .text, drawnBy: "chat pane: message text"),
        .init(.pending, on: .pending, .marker, drawnBy: "chat pane: … on a message not sent yet"),
        .init(.delivered, on: .delivered, .marker, drawnBy: "chat pane: ✓ on a stored message"),
        .init(.failed, on: .failed, .marker, drawnBy: "the mark on a message that could not be sent"),
        .init(.daySeparator, on: .daySeparator, .text, drawnBy: "chat pane: day lines"),
        .init(.newMessages, on: .newMessages, .text, drawnBy: "chat pane: the new-messages line"),
        .init(.input, on: .input, .text, drawnBy: "compose box, form and dialog fields"),
        .init(.placeholder, on: .placeholder, .text, drawnBy: "hints in empty fields"),
        .init(.statusBar, on: .statusBar, .text, drawnBy: "status bar"),
        .init(.statusConnected, on: .statusConnected, .text, drawnBy: "status bar: ● connected"),
        .init(.statusOffline, on: .statusOffline, .text, drawnBy: "status bar: offline, reconnecting"),
        .init(
            .error,
            on: .error,
            .text,
            drawnBy: "form problems, status-bar errors, draft previews in the friend list"
        ),
        .init(.success, on: .success, .text, drawnBy: "form confirmations, status-bar successes"),
        .init(
            .highlight,
            on: .highlight,
            .text,
            drawnBy: "search matches (reversed), the requests line, help keys, status-bar notices, the form's › mark, "
                + "the group owner's ★"
        ),
        .init(.mention, on: .mention, .text, drawnBy: "chat pane: the text of a message that mentions me"),
        .init(.dialog, on: .dialog, .text, drawnBy: "dialog text and unselected dialog rows"),
        .init(
            .hint,
            on: .hint,
            .text,
            drawnBy: "key hints, dialog footers, last-message previews in the friend list, empty-list notes, "
                + "a group's # and member count, a muted conversation's count, a group's own lines in the chat"
        ),
        .init(.banner, on: .banner, .text, drawnBy: "chat pane: the offline banner"),
    ]
}
