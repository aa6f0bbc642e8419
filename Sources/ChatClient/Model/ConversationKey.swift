public typealias GroupID = Int64

/// A conversation as the client keys it: a friend's user id, or a group's id negated (the
/// convention Telegram's API uses for group chats). One Int64 then keys both kinds everywhere a
/// conversation is stored (the cache's conversations, messages, outbox and drafts).
public struct ConversationKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    public static func direct(_ user: UserID) -> ConversationKey { ConversationKey(rawValue: user) }
    public static func group(_ id: GroupID) -> ConversationKey { ConversationKey(rawValue: -id) }

    /// The friend, for a one-to-one conversation.
    public var userID: UserID? { rawValue > 0 ? rawValue : nil }
    /// The group, for a group conversation (none for `Int64.min`, which has no positive twin).
    public var groupID: GroupID? { rawValue < 0 && rawValue != .min ? -rawValue : nil }
    public var isGroup: Bool { rawValue < 0 }

    public static func < (a: ConversationKey, b: ConversationKey) -> Bool { a.rawValue < b.rawValue }
    public var description: String { isGroup ? "group \(-rawValue)" : "user \(rawValue)" }
}
