import ChatClient
import ChatProtocol
import Foundation

/// What goes with the text typed: the message it answers, the members it names, and "typing…"
/// for the people on the other side while it is written.
extension AppState {
    /// The reply being written in the open conversation, if any.
    var activeReply: ReplyDraft? {
        guard let reply, reply.conversation == selectedConversation else { return nil }
        return reply
    }

    /// The open group's members, as far as they are loaded (`ChatState.groupMembers`).
    var openGroupMembers: [GroupMember] {
        selectedConversation?.groupID.flatMap { chat?.groupMembers[$0] } ?? []
    }

    var isOwnerOfOpenGroup: Bool {
        guard let group = selectedGroup, let me else { return false }
        return group.group.ownerID == me.id
    }

    /// What Tab offers after "@" in a group: its members' usernames ("@all" for the owner).
    var mentionCandidates: [String] {
        guard selectedGroup != nil, let me else { return [] }
        return Mentions.candidates(members: openGroupMembers, me: me.id, isOwner: isOwnerOfOpenGroup)
    }

    /// Tab in the input: a friend's name, or after "@" in a group a member's; again, the next.
    /// In a group whose members are not loaded yet, they are asked for, and the next Tab has them.
    mutating func completeName() -> [Effect] {
        if input.complete(from: completionNames) { return [] }
        if let group = selectedConversation?.groupID, chat?.groupMembers[group] == nil {
            showNotice("Loading the group's members: Tab again in a moment.", .info)
            return [.loadGroup(group)]
        }
        showNotice("Tab completes names · Shift-Tab moves to the friend list", .info)
        return []
    }

    /// The send for `text` typed to `key`: in a group with the members its "@name"s name (and
    /// "@all" from the owner), and as an answer to the message chosen with `r`.
    mutating func sendEffects(_ text: String, to key: ConversationKey) -> [Effect] {
        var mentions: [UserID] = []
        var mentionsAll = false
        if let group = key.groupID, let me {
            let named = Mentions.extract(
                from: text,
                members: chat?.groupMembers[group] ?? [],
                me: me.id,
                isOwner: chat?.groups[group]?.group.ownerID == me.id
            )
            mentions = named.ids
            mentionsAll = named.all
        }
        var replyTo: UInt64 = 0
        if let reply, reply.conversation == key {
            replyTo = reply.seq
            self.reply = nil
        }
        // Sent: the next key typed is a new burst, and says so at once.
        typingSignal = nil
        return [.send(text: text, to: key, mentions: mentions, mentionsAll: mentionsAll, replyTo: replyTo)]
    }

    /// "I am typing", when a key changed the text and there is text: at most once a second
    /// from here (the session throttles again). Not where the other side cannot read it anyway.
    mutating func typingEffects(before: String) -> [Effect] {
        guard input.text != before, !input.isEmpty, let key = selectedConversation else { return [] }
        if selectedFriend?.blockedByMe == true || selectedGroup?.isMember == false { return [] }
        if let last = typingSignal, last.conversation == key, now >= last.at,
            now.timeIntervalSince(last.at) < TypingSignal.minimumInterval
        {
            return []
        }
        typingSignal = TypingSignal(conversation: key, at: now)
        return [.sendTyping(key)]
    }

    /// Esc while replying: the text stays and goes as a plain message.
    mutating func cancelReply() {
        guard activeReply != nil else { return }
        reply = nil
        showNotice("Not a reply any more: Enter sends a plain message.", .info)
    }
}
