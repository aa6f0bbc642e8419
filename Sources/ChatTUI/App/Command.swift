/// What a key can ask for outside the text being edited. `KeyBindings` says which keys ask for
/// which command where; `AppState.perform(_:)` carries it out.
public enum Command: String, Sendable, CaseIterable {
    // Any screen (the app loop handles these before the state sees them, but quit).
    case quit, redraw, suspend
    // The main screen, wherever the focus is.
    case help, findPeople, friendRequests, searchMessages, chooseTheme, signOut
    case nextConversation, previousConversation, scrollOlder, scrollNewer, jumpToLatest, switchFocus
    // The friend list.
    case friendUp, friendDown, backToInput, filterFriends, setRemark, toggleBlock, removeFriend
    // The input line (besides editing, which is `LineEditor`'s).
    case completeName
}

/// Where a binding applies. Keys of `.app` and `.main` take precedence over the focused pane's.
public enum KeyContext: String, Sendable, CaseIterable {
    /// Every screen, sign-in included.
    case app
    /// The main screen, whichever pane has the focus.
    case main
    case friendList
    case input
}
