/// A key press (or paste) as the app sees it, decoded by the backend from curses' `get_wch`.
public enum Key: Hashable, Sendable {
    case character(Character)
    /// Ctrl plus a letter, lower-case: `.control("a")` is Ctrl-A.
    case control(Character)
    /// Alt (sent by terminals as an ESC prefix) plus a key.
    case alt(Character)
    case enter
    case altEnter
    case tab
    case backTab
    case backspace
    case delete
    case escape
    case up, down, left, right
    case home, end, pageUp, pageDown
    case function(Int)
    /// Text pasted in one piece (bracketed paste): inserted as is, newlines included, never sent
    /// by an Enter inside it.
    case paste(String)
    /// The terminal changed size.
    case resize
    /// A mouse press or wheel turn (only when mouse reporting is on).
    case mouse(MouseEvent)
}
