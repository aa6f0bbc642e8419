/// What a key can ask for outside the text being edited. `KeyBindings` says which keys ask for
/// which command where; `AppState.perform(_:)` carries it out.
public enum Command: String, Sendable, CaseIterable {
    // Any screen (the app loop handles these before the state sees them, but quit).
    case quit, redraw, suspend
    // The main screen, wherever the focus is.
    case help, findPeople, friendRequests, searchMessages, chooseTheme, signOut
    /// Search within the open conversation only.
    case searchConversation
    case nextConversation, previousConversation, scrollOlder, scrollNewer, jumpToLatest, switchFocus
    /// The next conversation with unread messages, after the open one in list order.
    case nextUnread
    /// The first nine conversations as the friend list shows them. Nine cases, not one with a
    /// number: every command then has a name for config and help, and `allCases` lists them.
    case conversation1, conversation2, conversation3, conversation4, conversation5
    case conversation6, conversation7, conversation8, conversation9
    /// The open conversation, all of it, to a plain-text file.
    case exportConversation
    /// Choose friends and a name, and the group is made and opened.
    case newGroup
    /// The open group's members beside the chat, or not.
    case groupMembers
    /// The open group's panel: name, announcement, members, and what may be done to them.
    case groupInfo
    /// The open conversation rings (bell, notification) or stays quiet but for mentions of me.
    case mute
    /// My read marks shown to those I chat with (and theirs to me), or neither: a privacy setting.
    case readReceipts
    // The friend list.
    case friendUp, friendDown, backToInput, filterFriends, setRemark, toggleBlock, removeFriend
    // The input line (besides editing, which is `LineEditor`'s).
    case completeName
    /// The draft in `$VISUAL`/`$EDITOR` (Ctrl-X Ctrl-E, as in bash).
    case composeInEditor
    /// From an empty input line: the keyboard goes to the conversation's messages, the newest
    /// selected.
    case selectMessage
    /// The message being answered is no longer: the text stays, sent as a plain message.
    case cancelReply
    // A message selected with the keyboard.
    case olderMessage, newerMessage, stopSelecting
    case replyToMessage, recallMessage, copyMessage
    /// Scrolls to the message a reply quotes, loading older pages until it is there.
    case jumpToQuote
    /// How many of a group have read my message.
    case readCount

    /// Which place in the friend list a `conversationN` command opens (1-based); nil for others.
    public var conversationNumber: Int? {
        guard rawValue.hasPrefix("conversation") else { return nil }
        return Int(rawValue.dropFirst("conversation".count))
    }

    /// The command that opens the `number`th conversation of the list (1...9).
    public static func conversation(_ number: Int) -> Command? {
        Command(rawValue: "conversation\(number)")
    }
}

/// Where a binding applies. Keys of `.app` and `.main` take precedence over the focused pane's.
public enum KeyContext: String, Sendable, CaseIterable {
    /// Every screen, sign-in included.
    case app
    /// The main screen, whichever pane has the focus.
    case main
    case friendList
    case input
    /// A message selected in the conversation (↑ from an empty input): keys act on it, and
    /// none types text.
    case messages
}
