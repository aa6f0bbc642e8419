import ChatClient
import ChatProtocol

/// @names in a group: what Tab offers after "@", and whom a message names when it is sent. The
/// server is told who is mentioned, as ids (it does not read the text), so only a member's
/// exact username after "@", in any case, names them.
enum Mentions {
    /// "@all": everyone in the group, the owner's alone to write.
    static let everyone = "all"

    /// "@name" for every member but me, by name, then "@all" for the owner (the server refuses
    /// it from anyone else).
    static func candidates(members: [GroupMember], me: UserID, isOwner: Bool) -> [String] {
        var names = members.filter { $0.user.id != me }.map(\.user.username)
            .sorted { $0.lowercased() < $1.lowercased() }
            .map { "@" + $0 }
        if isOwner { names.append("@" + everyone) }
        return names
    }

    /// The members `text` names, in the order it names them, each once and me left out, and
    /// whether it names everyone ("@all", counted only for the owner). An "@" inside a word (an
    /// email address) names nobody, and punctuation after a name ("@bob," "@bob.") is not part
    /// of it.
    static func extract(
        from text: String,
        members: [GroupMember],
        me: UserID,
        isOwner: Bool
    ) -> (ids: [UserID], all: Bool) {
        var byName: [String: UserID] = [:]
        for member in members { byName[member.user.username.lowercased()] = member.user.id }
        func known(_ name: String) -> Bool { byName[name] != nil || (isOwner && name == everyone) }
        var ids: [UserID] = []
        var all = false
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            guard characters[index] == "@", index == 0 || !isNameCharacter(characters[index - 1]) else {
                index += 1
                continue
            }
            var end = index + 1
            while end < characters.count, isNameCharacter(characters[end]) { end += 1 }
            var name = String(characters[(index + 1)..<end]).lowercased()
            // A username may hold ".", "-" and "_", so "@bob." is "bob" only when "bob." is nobody.
            while !name.isEmpty, !known(name), let last = name.last, "._-".contains(last) { name.removeLast() }
            if isOwner, name == everyone {
                all = true
            } else if let id = byName[name], id != me, !ids.contains(id), ids.count < ProtocolLimits.maxMentions {
                ids.append(id)
            }
            index = end
        }
        return (ids, all)
    }

    /// What a username is made of (`AccountRules.validateUsername`): ASCII letters, digits, "_.-".
    static func isNameCharacter(_ character: Character) -> Bool {
        guard character.isASCII else { return false }
        return character.isLetter || character.isNumber || "_.-".contains(character)
    }
}
