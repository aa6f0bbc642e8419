import ChatClient
import Foundation

/// One row of the conversation list: a friend, or a group I am or was in. The list, and all that
/// walks it (Alt-A, Alt-1…9, the mouse, Ctrl-N), read these, so a group is reached as a friend is.
public enum ConversationEntry: Sendable, Equatable {
    case friend(Friend, Conversation?)
    case group(GroupConversation)

    public var key: ConversationKey {
        switch self {
        case .friend(let friend, _): .direct(friend.user.id)
        case .group(let group): .group(group.group.id)
        }
    }

    /// What the list calls it: a friend's remark or username, a group's name.
    public var name: String {
        switch self {
        case .friend(let friend, _): friend.displayName
        case .group(let group): group.group.name
        }
    }

    public var lastMessage: ChatMessage? {
        switch self {
        case .friend(_, let conversation): conversation?.lastMessage
        case .group(let group): group.lastMessage
        }
    }

    public var unread: UInt64 {
        switch self {
        case .friend(_, let conversation): conversation?.unread ?? 0
        case .group(let group): group.unread
        }
    }

    public var muted: Bool {
        switch self {
        case .friend(_, let conversation): conversation?.muted ?? false
        case .group(let group): group.muted
        }
    }

    /// An unread message names me (or everyone): only a group's can.
    public var mentioned: Bool {
        if case .group(let group) = self { return group.mentioned }
        return false
    }

    /// Whether `filter` (lower-cased) is in its name, or a friend's username.
    func matches(_ filter: String) -> Bool {
        switch self {
        case .friend(let friend, _):
            friend.displayName.lowercased().contains(filter) || friend.user.username.lowercased().contains(filter)
        case .group(let group):
            group.group.name.lowercased().contains(filter)
        }
    }

    /// Most recent first: a group by its last message, as a friend is; then by name, then by key,
    /// so rows with the same time and name do not swap places between frames.
    static func byActivity(_ a: ConversationEntry, _ b: ConversationEntry) -> Bool {
        let ta = a.lastMessage?.sentAtMs ?? 0
        let tb = b.lastMessage?.sentAtMs ?? 0
        if ta != tb { return ta > tb }
        switch a.name.localizedCaseInsensitiveCompare(b.name) {
        case .orderedAscending: return true
        case .orderedDescending: return false
        case .orderedSame: return a.key < b.key
        }
    }
}
