import ChatClient
import ChatProtocol
import Foundation

/// Friends to choose for a group: typing filters the list, Space takes or drops the friend under
/// the cursor. For a new group Enter goes on to the group's name and Enter there creates it; for
/// an invitation Enter sends it. Esc steps back (from the name to the friends, from an invitation
/// to the group's panel) or closes.
public struct FriendPicker: Sendable, Equatable {
    public enum Purpose: Sendable, Equatable {
        case newGroup
        /// Friends not in the group yet.
        case invite(GroupID)
    }

    public enum Step: Sendable, Equatable {
        case friends
        /// The new group's name, once its friends are chosen.
        case name
    }

    public var purpose: Purpose
    public var step: Step = .friends
    public var filter = LineEditor()
    /// The friends taken, in the order taken.
    public var chosen: [UserID] = []
    /// The row under the cursor, among the friends the filter leaves.
    public var selected = 0
    public var name = LineEditor()
    /// What is wrong: with what was typed, or the server's refusal.
    public var error: String?
    /// Sent; waiting for the server's answer.
    public var busy = false

    public init(purpose: Purpose) {
        self.purpose = purpose
    }

    /// Why `name` cannot be a group's name, or nil: it must say something, on one line, in at most
    /// `ProtocolLimits.maxGroupNameBytes` bytes (CJK takes three each).
    public static func nameProblem(_ name: String) -> String? {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return "Give the group a name." }
        if trimmed.contains("\n") { return "A group's name is one line." }
        if trimmed.utf8.count > ProtocolLimits.maxGroupNameBytes {
            return
                "The name is too long: at most \(ProtocolLimits.maxGroupNameBytes) bytes (this is \(trimmed.utf8.count))."
        }
        return nil
    }
}
