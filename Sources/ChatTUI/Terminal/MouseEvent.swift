/// A mouse button press or a wheel turn, at a screen cell (0-based column and row), as the
/// backend reads it from the terminal's mouse reporting (`[ui] mouse` in config.toml).
public struct MouseEvent: Hashable, Sendable {
    public enum Kind: Hashable, Sendable, CaseIterable {
        /// The left button went down. A press, not a click: acting on the press needs no wait to
        /// tell a click from a double click, so the screen answers at once.
        case press
        /// The wheel turned away from the person: older messages.
        case wheelUp
        /// The wheel turned towards the person: newer messages.
        case wheelDown
    }

    public var kind: Kind
    public var x: Int
    public var y: Int

    public init(kind: Kind, x: Int, y: Int) {
        self.kind = kind
        self.x = x
        self.y = y
    }
}
