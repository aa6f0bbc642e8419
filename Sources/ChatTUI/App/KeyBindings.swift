/// Every key binding of the main screen, in one table that both the key handling and the help
/// overlay read, so what help says and what a key does cannot drift apart. The input line's
/// editing keys are `LineEditor.bindings`, and help lists them from there.
public struct KeyBindings: Sendable, Equatable {
    public struct Binding: Sendable, Equatable {
        public var command: Command
        public var context: KeyContext
        public var keys: [Key]
        /// What help says it does.
        public var summary: String
    }

    /// One line of help: key names and what they do.
    public struct HelpLine: Sendable, Equatable {
        public var keys: String
        public var action: String

        init(keys: String, action: String) {
            self.keys = keys
            self.action = action
        }

        /// A binding's line: its keys by name, then what it does.
        init(_ keys: [Key], _ summary: String) {
            self.init(keys: keys.map(\.name).joined(separator: "  "), action: summary)
        }
    }

    public struct Section: Sendable, Equatable {
        public var title: String
        public var bindings: [HelpLine]
    }

    public private(set) var bindings: [Binding]

    public init(_ bindings: [Binding]) {
        self.bindings = bindings
    }

    /// The command `key` asks for in `context`, if any.
    public func command(for key: Key, in context: KeyContext) -> Command? {
        bindings.first { $0.context == context && $0.keys.contains(key) }?.command
    }

    /// The name of the first key bound to `command`, for hints on screen ("F3 finds people"),
    /// so hints follow the bindings.
    public func keyName(for command: Command) -> String {
        bindings.first { $0.command == command }?.keys.first?.name ?? "?"
    }

    /// Pairs of bindings that claim the same key where both would apply: in the same context,
    /// or one in `.app`/`.main` (which win) and one in a pane's context. Empty for a sound table.
    public var clashes: [(Key, Binding, Binding)] {
        var found: [(Key, Binding, Binding)] = []
        for (i, a) in bindings.enumerated() {
            for b in bindings[(i + 1)...] where Self.overlap(a.context, b.context) {
                for key in a.keys where b.keys.contains(key) { found.append((key, a, b)) }
            }
        }
        return found
    }

    private static func overlap(_ a: KeyContext, _ b: KeyContext) -> Bool {
        a == b || a == .app || b == .app || (a == .main && b != .app) || (b == .main && a != .app)
    }

    /// Help, from the table: the main screen's keys, the friend list's, the input line's
    /// (this table's and the line editor's).
    public var sections: [Section] {
        func lines(_ contexts: [KeyContext]) -> [HelpLine] {
            bindings.filter { contexts.contains($0.context) }.map { HelpLine($0.keys, $0.summary) }
        }
        let editing = LineEditor.bindings.map { HelpLine($0.keys, $0.summary) }
        return [
            Section(title: "Everywhere", bindings: lines([.main, .app])),
            Section(title: "Friend list", bindings: lines([.friendList])),
            Section(title: "Input line", bindings: lines([.input]) + editing),
        ]
    }

    /// Help as rows: a section title (with an empty action), its lines, a blank row between
    /// sections.
    public var helpRows: [HelpLine] {
        sections.enumerated().flatMap { index, section in
            (index > 0 ? [HelpLine(keys: "", action: "")] : []) + [HelpLine(keys: section.title, action: "")]
                + section.bindings
        }
    }

    public static let standard = KeyBindings([
        Binding(command: .help, context: .main, keys: [.function(1)], summary: "this help"),
        Binding(
            command: .switchFocus,
            context: .main,
            keys: [.backTab],
            summary: "move between the input and the friend list"
        ),
        Binding(
            command: .nextConversation,
            context: .main,
            keys: [.control("n"), .alt("j")],
            summary: "next conversation"
        ),
        Binding(
            command: .previousConversation,
            context: .main,
            keys: [.control("p"), .alt("k")],
            summary: "previous conversation"
        ),
        Binding(
            command: .scrollOlder,
            context: .main,
            keys: [.pageUp],
            summary: "scroll back (older messages load by themselves)"
        ),
        Binding(command: .scrollNewer, context: .main, keys: [.pageDown], summary: "scroll forward"),
        Binding(command: .jumpToLatest, context: .main, keys: [.control("g")], summary: "jump to the latest message"),
        Binding(command: .searchMessages, context: .main, keys: [.control("s")], summary: "search all messages"),
        Binding(
            command: .findPeople,
            context: .main,
            keys: [.function(3), .alt("p")],
            summary: "find people and send a friend request"
        ),
        Binding(
            command: .friendRequests,
            context: .main,
            keys: [.control("r")],
            summary: "friend requests: a accept, r reject"
        ),
        Binding(command: .chooseTheme, context: .main, keys: [.function(2)], summary: "choose a theme (previews live)"),
        Binding(command: .signOut, context: .main, keys: [.control("o")], summary: "sign out (asks first: y)"),
        Binding(command: .redraw, context: .app, keys: [.control("l")], summary: "redraw the screen"),
        Binding(command: .suspend, context: .app, keys: [.control("z")], summary: "suspend (fg to come back)"),
        Binding(command: .quit, context: .app, keys: [.control("q"), .function(10)], summary: "quit"),

        Binding(command: .friendUp, context: .friendList, keys: [.up, .character("k")], summary: "previous friend"),
        Binding(command: .friendDown, context: .friendList, keys: [.down, .character("j")], summary: "next friend"),
        Binding(
            command: .backToInput,
            context: .friendList,
            keys: [.enter, .right, .character("l"), .tab, .escape],
            summary: "back to the input, to write to them"
        ),
        Binding(
            command: .filterFriends,
            context: .friendList,
            keys: [.character("/")],
            summary: "filter the list as you type"
        ),
        Binding(command: .help, context: .friendList, keys: [.character("?")], summary: "this help"),
        Binding(
            command: .setRemark,
            context: .friendList,
            keys: [.character("n")],
            summary: "set a remark (a name only you see)"
        ),
        Binding(
            command: .toggleBlock,
            context: .friendList,
            keys: [.alt("b")],
            summary: "block or unblock (asks first: y)"
        ),
        Binding(
            command: .removeFriend,
            context: .friendList,
            keys: [.delete],
            summary: "remove friend (asks first: y)"
        ),

        Binding(
            command: .completeName,
            context: .input,
            keys: [.tab],
            summary: "complete a friend's name (again: the next)"
        ),
    ])
}
