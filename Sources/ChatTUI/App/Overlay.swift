import ChatClient

/// A panel over the main screen that takes the keyboard until it is closed with Esc.
public enum Overlay: Sendable, Equatable {
    case help
    case search(MessageSearch)
    case findUser(FindUser)
    case requests(RequestsPanel)
    case confirm(Confirmation)
    case remark(RemarkEditor)
    case themes(ThemePicker)
    /// Friends to choose: for a new group, or to invite into one.
    case pickFriends(FriendPicker)
    case groupInfo(GroupInfoPanel)
}

/// Full-text search of the cache: across every conversation, or within one.
public struct MessageSearch: Sendable, Equatable {
    /// Results shown at most, newest first; the footer says how many match in all.
    public static let shownLimit = 100
    /// The conversation searched; nil for all of them.
    public var conversation: ConversationKey?
    public var query = LineEditor()
    public var results: [ChatMessage] = []
    /// How many messages match, shown or not.
    public var total = 0
    public var selected = 0
    public var searched = false

    public init(conversation: ConversationKey? = nil) {
        self.conversation = conversation
    }

    /// More messages match than are shown.
    public var more: Bool { total > results.count }
}

/// Find someone by username or email and send them a friend request.
public struct FindUser: Sendable, Equatable {
    public enum Step: Sendable, Equatable {
        case query
        case greeting(UserSummary)
    }
    public var query = LineEditor()
    public var greeting = LineEditor()
    public var results: [UserSummary] = []
    public var selected = 0
    public var step: Step = .query
    public var searched = false
    public var busy = false
}

/// Incoming and outgoing friend requests.
public struct RequestsPanel: Sendable, Equatable {
    public var selected = 0
}

/// A yes/no question before something that cannot be undone in one key.
public struct Confirmation: Sendable, Equatable {
    public enum Action: Sendable, Equatable {
        case removeFriend(UserID)
        case block(UserID)
        case unblock(UserID)
        case signOut
        /// Withdraw my request to this user; either answer goes back to the requests panel.
        case cancelRequest(to: UserID, panel: RequestsPanel)
        case leaveGroup(GroupID)
        /// The owner's: either answer goes back to the group's panel.
        case removeMember(UserID, panel: GroupInfoPanel)
        case transferOwnership(to: UserID, panel: GroupInfoPanel)
        /// Withdraw my message at `seq`: everyone there sees that I did.
        case recall(ConversationKey, seq: UInt64)
    }
    public var question: String
    public var action: Action
}

public struct RemarkEditor: Sendable, Equatable {
    public var friend: UserID
    public var remark = LineEditor()
}

public struct ThemePicker: Sendable, Equatable {
    public var selected = 0
    /// The theme when the picker opened: Esc goes back to it, whatever was previewed since.
    public var original: String?
}
