import ChatProtocol
import Foundation

/// Where the session's connection stands, for the status bar.
public enum ConnectionStatus: Sendable, Equatable {
    case offline
    case connecting
    case connected(server: String)
    /// Waiting to retry; `at` is when the next attempt starts.
    case reconnecting(at: Date, lastError: String)
    /// The token no longer works (signed out elsewhere, password reset): sign in again.
    case signedOut(reason: String)

    public var isConnected: Bool {
        if case .connected = self { return true }
        return false
    }
}

/// Everything a UI shows about the signed-in user, as one value: the session publishes a new one
/// after every change.
public struct ChatState: Sendable, Equatable {
    public var me: UserSummary
    public var connection: ConnectionStatus = .offline
    public var friends: [UserID: Friend] = [:]
    public var incomingRequests: [FriendRequest] = []
    public var outgoingRequests: [FriendRequest] = []
    public var conversations: [UserID: Conversation] = [:]
    /// Typed but not yet acknowledged, oldest first.
    public var outbox: [OutboxMessage] = []
    /// Whether others can find me by my exact email (a privacy setting, off by default).
    public var findableByEmail = false
    /// Groups I am or was in.
    public var groups: [GroupID: GroupConversation] = [:]
    /// Members of the groups whose member list was asked for (`ChatSession.loadGroup`).
    public var groupMembers: [GroupID: [GroupMember]] = [:]
    /// Who is typing where, and until when (ms since 1970): each entry lapses by itself.
    public var typing: [ConversationKey: [UserID: Int64]] = [:]
    /// Whether my read marks are shown to others (and theirs to me): on by default.
    public var sendsReadReceipts = true

    public init(me: UserSummary) {
        self.me = me
    }

    /// Unread messages of the conversations and groups that are not muted (a muted chat keeps its
    /// own count, dimmed, but does not call for attention, as in WeChat).
    public var totalUnread: UInt64 {
        // Saturating: the counts come from a server, which is not trusted not to overflow them.
        let counts =
            conversations.values.filter { !$0.muted }.map(\.unread) + groups.values.filter { !$0.muted }.map(\.unread)
        return counts.reduce(0) { total, unread in
            let (sum, overflow) = total.addingReportingOverflow(unread)
            return overflow ? .max : sum
        }
    }

    /// Friends, the most recently active conversation first, then by name.
    public var friendsByActivity: [Friend] {
        friends.values.sorted { a, b in
            let ta = conversations[a.user.id]?.lastMessage?.sentAtMs ?? 0
            let tb = conversations[b.user.id]?.lastMessage?.sentAtMs ?? 0
            if ta != tb { return ta > tb }
            return a.displayName.localizedCaseInsensitiveCompare(b.displayName) == .orderedAscending
        }
    }
}

/// What a session tells its UI.
public enum ChatEvent: Sendable {
    case stateChanged(ChatState)
    /// A message arrived or was confirmed (mine, from any of my devices, or theirs), one-to-one
    /// or in a group. `live` is true for a push or an ack (it is new now), false when a
    /// conversation's catch-up replays what came while away.
    case message(ChatMessage, live: Bool)
    /// The message at `seq` of the conversation was withdrawn by its sender: its text is gone
    /// from the cache (and from replies quoting it). Redraw it as "alice recalled a message".
    case messageRecalled(ConversationKey, seq: UInt64)
    /// Someone sent me a friend request, accepted or rejected mine, or removed me.
    case friendEvent(WireFriendEvent.Kind, UserSummary, message: String)
    /// A request failed in the background.
    case error(ChatError)
    /// A typed message was refused for good (too long, not friends, blocked, not in the group)
    /// and is not in the outbox any more: the text is given back, so the UI can return it to the
    /// person.
    case messageRefused(conversation: ConversationKey, text: String, ChatError)
}
