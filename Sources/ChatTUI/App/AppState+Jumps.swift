import ChatClient

extension AppState {
    /// Alt-A: opens the next conversation with unread messages after the open one, in the
    /// list's order, wrapping round; says so when nothing is unread.
    mutating func openNextUnread() -> [Effect] {
        guard let key = nextUnreadConversation() else {
            showNotice("No unread messages.", .info)
            return []
        }
        return openConversation(of: key)
    }

    /// Where `openNextUnread` goes. Of the conversations that ask to be read, those asking most
    /// (`readUrgency`) win, then the nearest after the open one. The open one itself comes last,
    /// so a lone unread conversation only previewed from the friend list is reached too.
    func nextUnreadConversation() -> ConversationKey? {
        let list = conversationsByActivity.map(\.key)
        let start = list.firstIndex { $0 == selectedConversation }.map { $0 + 1 } ?? 0
        let order = (0..<list.count).map { list[(start + $0) % list.count] }
        guard let most = order.map({ readUrgency($0) }).max(), most > 0 else { return nil }
        return order.first { readUrgency($0) == most }
    }

    /// How strongly a conversation asks to be read: 0 not at all, 1 it has unread messages but
    /// is muted, 2 it has unread messages, 3 one of them mentions me (muted or not, as the bell).
    func readUrgency(_ key: ConversationKey) -> Int {
        guard unreadCount(of: key) > 0 else { return 0 }
        if let group = key.groupID, chat?.groups[group]?.mentioned == true { return 3 }
        return isMuted(key) ? 1 : 2
    }

    /// Alt-1…Alt-9: opens the `number`th conversation the list shows (1-based).
    mutating func openConversation(number: Int) -> [Effect] {
        let list = visibleConversations
        guard number >= 1, number <= list.count else {
            showNotice(
                list.isEmpty
                    ? "No conversations yet."
                    : "The list has only \(list.count) conversation\(list.count == 1 ? "" : "s").",
                .info
            )
            return []
        }
        return openConversation(of: list[number - 1].key)
    }

    /// Opens a conversation as Enter in the friend list does: the filter closes and the input
    /// takes the focus, which marks it read (a jump to it is a request to read it).
    mutating func openConversation(of key: ConversationKey) -> [Effect] {
        friendFilter = nil
        focus = .input
        guard key != selectedConversation else { return markSelectedReadIfWriting() }
        return select(key)
    }
}
