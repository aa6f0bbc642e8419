import ChatClient

/// A group's name, announcement and members, and what I may do there: invite and leave; the
/// owner also renames it, sets the announcement, removes a member and hands the group over.
public struct GroupInfoPanel: Sendable, Equatable {
    /// A field of the group being edited in the panel (the owner's).
    public enum Field: Sendable, Equatable {
        case name
        case announcement
    }

    public var group: GroupID
    /// The member under the cursor, in `AppState.members(of:)` order: whom remove and make-owner act on.
    public var selected = 0
    /// The field being edited, if one is; `editor` holds its text.
    public var editing: Field?
    public var editor = LineEditor()
    /// The server's refusal (or a problem with what was typed), shown in the panel.
    public var error: String?
    /// Sent; waiting for the server's answer.
    public var busy = false

    public init(group: GroupID) {
        self.group = group
    }
}
