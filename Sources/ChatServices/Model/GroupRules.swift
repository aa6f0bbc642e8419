import ChatProtocol

/// What every `GroupStore` checks of a request's arguments before it opens a transaction, and
/// the refusals they share, so SQLite and PostgreSQL answer alike.
public enum GroupRules {
    public static let full = ChatError(.limitReached, "A group has at most \(ProtocolLimits.maxGroupMembers) members.")
    public static let notInGroup = ChatError(.notAMember, "You are not in that group.")

    /// The people a new group starts with besides its owner: each once, at least two, and room
    /// for all of them with the owner.
    public static func founders(owner: UserID, members: [UserID]) throws -> [UserID] {
        let invited = others(than: owner, in: members)
        guard invited.count >= 2 else {
            throw ChatError(.badRequest, "A group needs at least two friends besides you.")
        }
        guard invited.count + 1 <= ProtocolLimits.maxGroupMembers else { throw full }
        return invited
    }

    /// The people an invitation names besides the inviter, each once; at least one.
    public static func invitees(_ users: [UserID], by inviter: UserID) throws -> [UserID] {
        let invited = others(than: inviter, in: users)
        guard !invited.isEmpty else { throw ChatError(.badRequest, "Choose friends to invite.") }
        return invited
    }

    /// `ids` without `user`, each once, in their first order.
    static func others(than user: UserID, in ids: [UserID]) -> [UserID] {
        var seen: Set<UserID> = [user]
        return ids.filter { seen.insert($0).inserted }
    }
}
