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
}

/// Full-text search across every conversation in the cache.
public struct MessageSearch: Sendable, Equatable {
    /// Results shown at most; the search asks for one more, to know there are more.
    public static let shownLimit = 100
    public var query = LineEditor()
    public var results: [ChatMessage] = []
    /// More messages match than are shown: the footer says so rather than a wrong count.
    public var more = false
    public var selected = 0
    public var searched = false
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
