import ChatClient

/// What a part of the screen shows, for the mouse: a click acts on it, a wheel turn scrolls it.
public enum HitTarget: Hashable, Sendable {
    /// The conversation list's frame and its empty rows.
    case friendList
    /// A friend's or a group's row in the list: a click opens the conversation.
    case conversation(ConversationKey)
    /// The open conversation's pane: the wheel scrolls it.
    case chatPane
    /// A row of a message in the pane: a click selects the message.
    case message(Int64)
    /// The message input.
    case input
}
