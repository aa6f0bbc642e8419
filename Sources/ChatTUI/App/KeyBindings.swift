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
        /// A key pressed first, as Ctrl-X in bash's Ctrl-X Ctrl-E: the binding is that key then
        /// one of `keys`. Such a key only begins sequences; alone it does nothing.
        public var prefix: Key? = nil

        /// The keys as help shows them: "Ctrl-N  Alt-J", "Ctrl-X Ctrl-E".
        public var keyNames: String {
            keys.map(name(of:)).joined(separator: "  ")
        }

        /// One of `keys` as typed: after the prefix, if there is one.
        public func name(of key: Key) -> String {
            prefix.map { "\($0.name) \(key.name)" } ?? key.name
        }
    }

    /// One line of help: key names, what they do, and the command's name for `[keys]` in
    /// config.toml (empty for the editing keys, which are readline's and not rebound).
    public struct HelpLine: Sendable, Equatable {
        public var keys: String
        public var action: String
        public var name: String

        init(keys: String, action: String, name: String = "") {
            self.keys = keys
            self.action = action
            self.name = name
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
        bindings.first { $0.context == context && $0.prefix == nil && $0.keys.contains(key) }?.command
    }

    /// Whether `key` begins a two-key sequence in `context`: the next key completes it.
    public func isPrefix(_ key: Key, in context: KeyContext) -> Bool {
        bindings.contains { $0.context == context && $0.prefix == key }
    }

    /// The command `prefix` then `key` ask for in `context`, if any.
    public func command(after prefix: Key, key: Key, in context: KeyContext) -> Command? {
        bindings.first { $0.context == context && $0.prefix == prefix && $0.keys.contains(key) }?.command
    }

    /// The name of the first key bound to `command`, for hints on screen ("F3 finds people"),
    /// so hints follow the bindings.
    public func keyName(for command: Command) -> String {
        guard let binding = bindings.first(where: { $0.command == command }), let key = binding.keys.first else {
            return "?"
        }
        return binding.name(of: key)
    }

    /// Pairs of bindings that claim the same key where both would apply: in the same context,
    /// or one in `.app`/`.main` (which win) and one in a pane's context. Empty for a sound table.
    public var clashes: [(Key, Binding, Binding)] {
        var found: [(Key, Binding, Binding)] = []
        for (i, a) in bindings.enumerated() {
            for b in bindings[(i + 1)...] where Self.overlap(a.context, b.context) {
                for key in a.keys where a.prefix == b.prefix && b.keys.contains(key) { found.append((key, a, b)) }
                // A key that begins a sequence cannot also do something of its own.
                if let prefix = b.prefix, a.prefix == nil, a.keys.contains(prefix) { found.append((prefix, a, b)) }
                if let prefix = a.prefix, b.prefix == nil, b.keys.contains(prefix) { found.append((prefix, a, b)) }
            }
        }
        return found
    }

    private static func overlap(_ a: KeyContext, _ b: KeyContext) -> Bool {
        a == b || a == .app || b == .app || (a == .main && b != .app) || (b == .main && a != .app)
    }

    /// Help, from the table: the main screen's keys, the friend list's, the input line's
    /// (this table's and the line editor's), a selected message's.
    public var sections: [Section] {
        func lines(_ contexts: [KeyContext]) -> [HelpLine] {
            Self.helpLines(bindings.filter { contexts.contains($0.context) })
        }
        let editing = LineEditor.bindings.map { HelpLine($0.keys, $0.summary) }
        return [
            Section(title: "Everywhere", bindings: lines([.main, .app])),
            Section(title: "Friend list", bindings: lines([.friendList])),
            Section(title: "Input line", bindings: lines([.input]) + editing),
            Section(title: "A selected message (↑ from an empty input line)", bindings: lines([.messages])),
        ]
    }

    /// Help lines in table order. The nine `conversationN` bindings make one line ("Alt-1…Alt-9")
    /// while their keys go in step, and a line each once a rebinding breaks the pattern.
    private static func helpLines(_ bindings: [Binding]) -> [HelpLine] {
        var lines: [HelpLine] = []
        var index = 0
        while index < bindings.count {
            let binding = bindings[index]
            if binding.command == .conversation1, let run = conversationLine(Array(bindings[index...].prefix(9))) {
                lines.append(run)
                index += 9
                continue
            }
            lines.append(HelpLine(keys: binding.keyNames, action: binding.summary, name: binding.command.name))
            index += 1
        }
        return lines
    }

    /// One line for `conversation1`…`conversation9` if they come in order, one key each, the
    /// keys' names alike but for the digit ("Alt-1"…"Alt-9").
    private static func conversationLine(_ run: [Binding]) -> HelpLine? {
        guard run.count == 9, run.allSatisfy({ $0.keys.count == 1 }) else { return nil }
        let names = run.map { $0.keys[0].name }
        guard names[0].hasSuffix("1") else { return nil }
        let stem = String(names[0].dropLast())
        for (offset, binding) in run.enumerated() {
            guard binding.command == Command.conversation(offset + 1), names[offset] == stem + String(offset + 1)
            else { return nil }
        }
        return HelpLine(
            keys: "\(names[0])…\(names[8])",
            action: "open conversation 1…9 of the list",
            name: "conversation-1…9"
        )
    }

    public static let standard = KeyBindings(standardBindings + conversationBindings)

    private static let standardBindings: [Binding] = [
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
        // F5 too: Alt is awkward in some terminals (macOS Terminal, tabs on Alt-digits).
        Binding(
            command: .nextUnread,
            context: .main,
            keys: [.alt("a"), .function(5)],
            summary: "next conversation with unread messages"
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
        // Not Ctrl-R (friend requests here, reverse search in readline): Alt-S beside Ctrl-S, or
        // F6 where Alt is awkward.
        Binding(
            command: .searchConversation,
            context: .main,
            keys: [.alt("s"), .function(6)],
            summary: "search this conversation's messages"
        ),
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
            summary: "friend requests: a accept, r reject, c cancel"
        ),
        // Alt keys: the F-keys left are the ones people rebind to (F7–F9, F12) or the terminal
        // takes (F11), and Ctrl has no free letter that is not an editing key.
        Binding(
            command: .newGroup,
            context: .main,
            keys: [.alt("g")],
            summary: "new group: Space chooses friends, Enter names it"
        ),
        Binding(
            command: .groupMembers,
            context: .main,
            keys: [.alt("m")],
            summary: "show or hide the group's members beside the chat"
        ),
        Binding(
            command: .groupInfo,
            context: .main,
            keys: [.alt("i")],
            summary: "group info: invite, leave, and the owner's changes"
        ),
        Binding(
            command: .mute,
            context: .main,
            keys: [.alt("n")],
            summary: "mute or unmute (mentions of you still ring)"
        ),
        Binding(
            command: .readReceipts,
            context: .main,
            keys: [.alt("v")],
            summary: "read receipts (✓✓) on or off, both ways"
        ),
        Binding(command: .chooseTheme, context: .main, keys: [.function(2)], summary: "choose a theme (previews live)"),
        Binding(command: .signOut, context: .main, keys: [.control("o")], summary: "sign out (asks first: y)"),
        Binding(
            command: .exportConversation,
            context: .main,
            keys: [.function(4)],
            summary: "export the conversation to a text file"
        ),
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
            summary: "complete a name, in a group @member (again: next)"
        ),
        // bash's key for it. Ctrl-E alone stays "end of line": only after Ctrl-X does it mean this.
        Binding(
            command: .composeInEditor,
            context: .input,
            keys: [.control("e")],
            summary: "write the message in $VISUAL / $EDITOR",
            prefix: .control("x")
        ),
        // Only from an empty line: in text ↑ moves up a line or recalls what was sent.
        Binding(
            command: .selectMessage,
            context: .input,
            keys: [.up],
            summary: "on an empty line: select a message to act on"
        ),
        // Esc is safe here: typed by habit it only drops the quote, never the text.
        Binding(
            command: .cancelReply,
            context: .input,
            keys: [.escape],
            summary: "while replying: write a plain message instead"
        ),

        // Letters are safe here: nothing is typed while a message is selected.
        Binding(
            command: .olderMessage,
            context: .messages,
            keys: [.up, .character("k")],
            summary: "the message before (older ones load at the top)"
        ),
        Binding(
            command: .newerMessage,
            context: .messages,
            keys: [.down, .character("j")],
            summary: "the message after (past the newest: the input)"
        ),
        Binding(
            command: .replyToMessage,
            context: .messages,
            keys: [.character("r")],
            summary: "reply to it (quoted above your message)"
        ),
        Binding(
            command: .recallMessage,
            context: .messages,
            // Del only: a letter here is one typed by habit after ↑ (a name starting with R, then
            // "yes"), which must not reach a recall.
            keys: [.delete],
            summary: "recall it: yours, within 2 minutes (asks first: y)"
        ),
        Binding(
            command: .copyMessage,
            context: .messages,
            keys: [.character("c"), .character("y")],
            summary: "copy its text to the clipboard (OSC 52)"
        ),
        Binding(
            command: .jumpToQuote,
            context: .messages,
            keys: [.character("g"), .enter],
            summary: "go to the message it quotes"
        ),
        Binding(
            command: .readCount,
            context: .messages,
            keys: [.character("i")],
            summary: "who has read it: your message in a group"
        ),
        Binding(
            command: .stopSelecting,
            context: .messages,
            keys: [.escape],
            summary: "back to the input (other letters are typed there)"
        ),
    ]

    /// Alt-1…Alt-9: the first nine conversations, in the order the friend list shows them.
    static let conversationBindings: [Binding] = (1...9).compactMap { number in
        Command.conversation(number).map {
            Binding(
                command: $0,
                context: .main,
                keys: [.alt(Character(String(number)))],
                summary: "open conversation \(number) of the list"
            )
        }
    }
}
