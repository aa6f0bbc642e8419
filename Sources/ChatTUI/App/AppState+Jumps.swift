import ChatClient

extension AppState {
    /// Alt-A: opens the next conversation with unread messages after the open one, in the
    /// list's order, wrapping round; says so when nothing is unread.
    mutating func openNextUnread() -> [Effect] {
        guard let peer = nextUnreadPeer() else {
            showNotice("No unread messages.", .info)
            return []
        }
        return openConversation(of: peer)
    }

    /// Where `openNextUnread` goes. Of the conversations that ask to be read, those asking most
    /// (`readUrgency`) win, then the nearest after the open one. The open one itself comes last,
    /// so a lone unread conversation only previewed from the friend list is reached too.
    func nextUnreadPeer() -> UserID? {
        guard let chat else { return nil }
        let list = chat.friendsByActivity.map(\.user.id)
        let start = list.firstIndex { $0 == selectedPeer }.map { $0 + 1 } ?? 0
        let order = (0..<list.count).map { list[(start + $0) % list.count] }
        guard let most = order.map({ readUrgency($0) }).max(), most > 0 else { return nil }
        return order.first { readUrgency($0) == most }
    }

    /// How strongly a conversation asks to be read: 0 not at all, 1 it has unread messages.
    /// The seam for mentions: once a message can mention me, a conversation with an unread
    /// mention ranks 2 here, and Alt-A takes those first without any other change.
    func readUrgency(_ peer: UserID) -> Int {
        (chat?.conversations[peer]?.unread ?? 0) > 0 ? 1 : 0
    }

    /// Alt-1…Alt-9: opens the `number`th conversation the friend list shows (1-based).
    mutating func openConversation(number: Int) -> [Effect] {
        let friends = visibleFriends
        guard number >= 1, number <= friends.count else {
            showNotice(
                friends.isEmpty
                    ? "No conversations yet."
                    : "The list has only \(friends.count) conversation\(friends.count == 1 ? "" : "s").",
                .info
            )
            return []
        }
        return openConversation(of: friends[number - 1].user.id)
    }

    /// Opens a conversation as Enter in the friend list does: the filter closes and the input
    /// takes the focus, which marks it read (a jump to it is a request to read it).
    mutating func openConversation(of peer: UserID) -> [Effect] {
        friendFilter = nil
        focus = .input
        guard peer != selectedPeer else { return markSelectedReadIfWriting() }
        return select(peer)
    }
}
