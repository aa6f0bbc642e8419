import ChatClient
import ChatProtocol
import Foundation

/// Everything the screen shows, as one value. Only `AppModel.update` changes it; views only read it.
public struct AppState: Sendable {
    public enum Screen: Sendable, Equatable {
        case signIn
        case register
        case resetPassword
        case main
    }

    /// Which part of the main screen has the keyboard.
    public enum Focus: Sendable, Equatable {
        case friends
        case input
    }

    public var screen: Screen = .signIn
    public var width = 80
    public var height = 24
    public var theme: Theme = .fallback
    public var themeNames: [String] = []
    public var serverURL: String
    /// How many more gates the client may ask besides `serverURL` (a cluster's).
    public var otherGates = 0
    public var now = Date()

    /// "Server URL", and how many other gates stand behind it, for the forms' subtitle.
    public var serverDescription: String {
        switch otherGates {
        case 0: "Server \(serverURL)"
        case 1: "Server \(serverURL) or 1 other gate"
        default: "Server \(serverURL) or \(otherGates) other gates"
        }
    }

    public var signIn = SignInForm()
    public var register = RegisterForm()
    public var reset = ResetForm()

    /// The signed-in user's session state, as last published by `ChatSession`.
    public var chat: ChatState?
    /// The open conversation: a friend's or a group's.
    public var selectedConversation: ConversationKey?
    /// The conversation opened for the user, not by them, while the first catch-up still fills
    /// the list: the chat shown follows the list's top entry until then (or the user's first key).
    /// A start without a cache lists friends before their last messages and groups, and
    /// whichever came first would otherwise stay open.
    public var autoSelected: ConversationKey?
    public var focus: Focus = .input
    /// Which key does what on the main screen (help is made from it too).
    public var keyBindings = KeyBindings.standard
    /// The first help row on screen while help is open.
    public var helpScroll = 0
    public var friendFilter: LineEditor?
    public var input = LineEditor()
    /// The keyboard is on the open conversation's messages (↑ from an empty input): keys act on
    /// the selected one (`ConversationView.highlightedMessageID`) until Esc, or a letter typed,
    /// gives it back to the input.
    public var selectingMessages = false
    /// The message the next one sent answers, quoted above the input.
    public var reply: ReplyDraft?
    /// The last "I am typing" asked for.
    public var typingSignal: TypingSignal?
    /// The first key of a two-key sequence (Ctrl-X of Ctrl-X Ctrl-E), waiting for the second.
    public var pendingPrefix: Key?
    /// What was typed to each conversation and not sent, kept while another one is open: text
    /// typed to one friend must never end up addressed to another.
    public var drafts: [ConversationKey: String] = [:]
    /// The drafts the cache kept from the last run are back (`draftsLoaded`). Until then none
    /// are saved, or an empty set would overwrite them.
    public var draftsRestored = false
    /// Messages loaded for display, per conversation.
    public var conversations: [ConversationKey: ConversationView] = [:]
    /// The open group's members show beside the chat (Alt-M). Kept while other conversations
    /// are open: it shows again at the next group.
    public var memberPaneOpen = false
    public var overlay: Overlay?
    /// A one-line message in the status bar (errors, confirmations), with when it expires.
    public var notice: Notice?
    /// Codes from the in-process server's dev mailbox (`wechat --serve`), newest last.
    public var devMail: [DevMailEntry] = []
    /// The addresses this screen asked codes for (normalised). With `--serve` the dev mailbox
    /// holds everyone's codes, password resets for other people's accounts among them: only
    /// codes for these are shown, or whoever runs the demo server could take over any account.
    public var codesAskedFor: Set<String> = []
    /// Shown in the sign-in footer when the demo seeded accounts.
    public var demoLogins: [String] = []
    public var quitRequested = false
    /// How emoji clusters are drawn (`[display] emoji`): the views' business, never the text's.
    public var emojiMode: EmojiMode = .full
    /// What the last frame drew where (`ChatApp` keeps it from each render): a mouse event acts
    /// on what the person saw under the pointer.
    public var hitMap = HitMap()

    public init(serverURL: String) {
        self.serverURL = serverURL
    }

    public var me: UserSummary? { chat?.me }

    /// Friends and groups together, the most recent conversation first (unfiltered).
    public var conversationsByActivity: [ConversationEntry] {
        guard let chat else { return [] }
        let friends = chat.friends.values.map { ConversationEntry.friend($0, chat.conversations[$0.user.id]) }
        let groups = chat.groups.values.map { ConversationEntry.group($0) }
        return (friends + groups).sorted(by: ConversationEntry.byActivity)
    }

    /// Conversations as the list shows them: filtered, most recent first.
    public var visibleConversations: [ConversationEntry] {
        let all = conversationsByActivity
        guard let filter = friendFilter?.text.lowercased(), !filter.isEmpty else { return all }
        return all.filter { $0.matches(filter) }
    }

    /// The friends among `visibleConversations`, in its order.
    public var visibleFriends: [Friend] {
        visibleConversations.compactMap {
            if case .friend(let friend, _) = $0 { return friend }
            return nil
        }
    }

    /// The friend of the open conversation, when it is one-to-one. Setting it opens that
    /// friend's conversation (without loading anything: `select` does that).
    public var selectedPeer: UserID? {
        get { selectedConversation?.userID }
        set { selectedConversation = newValue.map(ConversationKey.direct) }
    }

    public var selectedFriend: Friend? {
        selectedPeer.flatMap { chat?.friends[$0] }
    }

    /// The open group, when the open conversation is a group's.
    public var selectedGroup: GroupConversation? {
        selectedConversation?.groupID.flatMap { chat?.groups[$0] }
    }

    /// What the screen calls a conversation: the friend's remark or name, the group's name.
    public func displayName(of conversation: ConversationKey) -> String {
        if let user = conversation.userID { return chat?.friends[user]?.displayName ?? "them" }
        if let group = conversation.groupID { return chat?.groups[group]?.group.name ?? "the group" }
        return "them"
    }

    /// Others' messages I have not read there.
    public func unreadCount(of conversation: ConversationKey) -> UInt64 {
        if let user = conversation.userID { return chat?.conversations[user]?.unread ?? 0 }
        if let group = conversation.groupID { return chat?.groups[group]?.unread ?? 0 }
        return 0
    }

    /// Whether its messages stay quiet (no bell, no notification; its count dimmed).
    public func isMuted(_ conversation: ConversationKey) -> Bool {
        if let user = conversation.userID { return chat?.conversations[user]?.muted ?? false }
        if let group = conversation.groupID { return chat?.groups[group]?.muted ?? false }
        return false
    }

    /// A member's name as I know them: my remark for a friend, else their username.
    public func memberName(_ user: UserID, in group: GroupID?) -> String {
        if user == me?.id { return "me" }
        if let friend = chat?.friends[user] { return friend.displayName }
        if let group, let member = chat?.groupMembers[group]?.first(where: { $0.user.id == user }) {
            return member.user.username
        }
        return "#\(user)"
    }
}

public struct Notice: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case info, success, error }
    public var text: String
    public var kind: Kind
    public var expires: Date
}

public struct DevMailEntry: Sendable, Equatable {
    public var email: String
    public var code: String
}

/// What is on screen of one conversation: the loaded window of messages and the scroll position.
public struct ConversationView: Sendable, Equatable {
    /// Oldest first.
    public var messages: [ChatMessage] = []
    /// Rows scrolled up from the bottom (0 = showing the newest).
    public var scrollOffset = 0
    public var olderAvailable = true
    public var loadingOlder = false
    /// The first unread message when the conversation was opened: the "new messages" line goes above it.
    public var firstUnreadSeq: UInt64?
    /// A message to show highlighted: jumped to from search (its matches marked), or selected
    /// with the mouse (`highlightQuery` nil: all its text marked, and it keeps its place on
    /// screen while newer messages arrive).
    public var highlightedMessageID: Int64?
    public var highlightQuery: String?
    /// The highlighted message's place in the history, while the pane is to bring it into view:
    /// older pages load until it is among them, and each page that lands scrolls to it again,
    /// until the person scrolls or opens another conversation.
    public var revealSeq: UInt64?

    public init() {}

    public mutating func merge(_ incoming: [ChatMessage]) {
        guard !incoming.isEmpty else { return }
        var byID = Dictionary(messages.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for message in incoming { byID[message.id] = message }
        messages = byID.values.sorted { $0.seq < $1.seq }
    }
}

// MARK: Forms

public struct SignInForm: Sendable, Equatable {
    public var account = LineEditor()
    public var password = LineEditor(masked: true)
    public var focus = 0
    public var error: String?
    /// Good news to show on the form (the password was changed), until the next sign-in try.
    public var info: String?
    public var busy = false

    public static let fieldCount = 2
}

public struct RegisterForm: Sendable, Equatable {
    public var username = LineEditor()
    public var email = LineEditor()
    public var code = LineEditor()
    public var password = LineEditor(masked: true)
    public var confirm = LineEditor(masked: true)
    public var focus = 0
    public var error: String?
    public var info: String?
    public var busy = false

    public static let fieldCount = 5
    /// Usernames the gate was asked about (on leaving the field, or asking for the code), so a
    /// name is asked about once; and those it said are taken, which the field then says.
    public var usernamesAsked: Set<String> = []
    public var usernamesTaken: Set<String> = []

    /// Live validation, field by field, as the person types (nil = fine or not typed yet).
    public var usernameProblem: String? {
        Self.problem(username.text) { try AccountRules.validateUsername($0) }
            ?? (usernamesTaken.contains(username.text) ? "That username is taken." : nil)
    }
    public var emailProblem: String? { Self.problem(email.text) { try AccountRules.validateEmail($0) } }
    public var passwordProblem: String? { Self.problem(password.text) { try AccountRules.validatePassword($0) } }
    public var confirmProblem: String? {
        confirm.text.isEmpty || confirm.text == password.text ? nil : "The passwords do not match."
    }
    public var codeProblem: String? {
        code.text.isEmpty || (code.text.count == 6 && code.text.allSatisfy(\.isNumber)) ? nil : "The code has 6 digits."
    }

    static func problem(_ text: String, _ check: (String) throws -> Void) -> String? {
        guard !text.isEmpty else { return nil }
        do {
            try check(text)
            return nil
        } catch let error as ChatError {
            return error.message
        } catch {
            return "\(error)"
        }
    }
}

public struct ResetForm: Sendable, Equatable {
    public var email = LineEditor()
    public var code = LineEditor()
    public var password = LineEditor(masked: true)
    public var confirm = LineEditor(masked: true)
    public var focus = 0
    public var error: String?
    public var info: String?
    public var busy = false

    public static let fieldCount = 4
}
