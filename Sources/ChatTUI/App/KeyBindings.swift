/// Every key binding, in one table: the help overlay lists it, so help and behaviour cannot drift
/// apart without a test noticing.
public enum KeyBindings {
    public struct Binding: Sendable, Equatable {
        public var keys: String
        public var action: String
    }

    public struct Section: Sendable, Equatable {
        public var title: String
        public var bindings: [Binding]
    }

    public static let sections: [Section] = [
        Section(title: "Everywhere", bindings: [
            Binding(keys: "F1  ?", action: "this help (? in the friend list)"),
            Binding(keys: "Shift-Tab", action: "move between the input and the friend list"),
            Binding(keys: "Ctrl-N  Ctrl-P", action: "next / previous conversation"),
            Binding(keys: "PgUp  PgDn", action: "scroll the chat (older messages load by themselves)"),
            Binding(keys: "Ctrl-G", action: "jump to the latest message"),
            Binding(keys: "Ctrl-S", action: "search all messages"),
            Binding(keys: "Ctrl-F", action: "find people and send a friend request"),
            Binding(keys: "Ctrl-R", action: "friend requests: a accept, r reject"),
            Binding(keys: "F2  Ctrl-T", action: "choose a theme (previews live)"),
            Binding(keys: "Ctrl-O", action: "sign out"),
            Binding(keys: "Ctrl-L", action: "redraw the screen"),
            Binding(keys: "Ctrl-Z", action: "suspend (fg to come back)"),
            Binding(keys: "Ctrl-Q  F10", action: "quit"),
        ]),
        Section(title: "Friend list", bindings: [
            Binding(keys: "↑ ↓  j k", action: "choose a friend"),
            Binding(keys: "Enter  Tab  Esc", action: "back to the input, to write to them"),
            Binding(keys: "/", action: "filter the list as you type"),
            Binding(keys: "n", action: "set a remark (a name only you see)"),
            Binding(keys: "Alt-B", action: "block or unblock (asks first: y)"),
            Binding(keys: "Del", action: "remove friend (asks first: y)"),
        ]),
        Section(title: "Input line", bindings: [
            Binding(keys: "Enter", action: "send"),
            Binding(keys: "Alt-Enter", action: "new line"),
            Binding(keys: "↑ ↓", action: "recall sent lines"),
            Binding(keys: "Ctrl-A  Ctrl-E", action: "start / end of line"),
            Binding(keys: "Ctrl-B  Ctrl-F  ← →", action: "back / forward a character"),
            Binding(keys: "Alt-B  Alt-F", action: "back / forward a word"),
            Binding(keys: "Ctrl-U  Ctrl-K  Ctrl-W", action: "delete to start / to end / word"),
            Binding(keys: "Ctrl-Y", action: "paste what was deleted"),
            Binding(keys: "Tab", action: "complete a friend's name"),
        ]),
    ]
}
