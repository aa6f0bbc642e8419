import ChatClient
import ChatProtocol
import Foundation

/// A message selected with the keyboard: ↑ from an empty input selects the newest one on
/// screen, and the `.messages` bindings act on it (reply, recall, copy, go to its quote, who
/// read it). The selection is the pane's highlight, the one a click makes, so the mouse and the
/// keys select the same way.
extension AppState {
    /// The messages a key can select in the open conversation, oldest first: text that is still
    /// there (system lines, recall lines and recalled messages have nothing to act on).
    var selectableMessages: [ChatMessage] {
        guard let key = selectedConversation, let view = conversations[key] else { return [] }
        let recalled = ChatPaneView.recalledSeqs(in: view)
        return view.messages.filter { $0.kind == .text && !$0.recalled && !recalled.contains($0.seq) }
    }

    /// The selected message, while it is one a key can act on.
    var selectedMessage: ChatMessage? {
        guard let key = selectedConversation, let view = conversations[key], let id = view.highlightedMessageID,
            (view.highlightQuery ?? "").isEmpty
        else { return nil }
        return selectableMessages.first { $0.id == id }
    }

    /// Whether keys go to the selected message rather than the input.
    var isSelectingMessage: Bool {
        selectingMessages && focus == .input && overlay == nil && selectedMessage != nil
    }

    /// The commands of a selected message, and those that start and end a selection.
    mutating func performOnMessages(_ command: Command) -> [Effect] {
        switch command {
        case .selectMessage: return startSelectingMessages()
        case .olderMessage: return moveMessageSelection(by: -1)
        case .newerMessage: return moveMessageSelection(by: 1)
        case .stopSelecting: stopSelectingMessages()
        case .replyToMessage: replyToSelected()
        case .recallMessage: askToRecallSelected()
        case .copyMessage: return copySelected()
        case .jumpToQuote: return jumpToQuoteOfSelected()
        case .readCount: return readCountOfSelected()
        case .cancelReply: cancelReply()
        default: break
        }
        return []
    }

    /// A key while a message is selected: its command, or else the input's again (a letter
    /// typed is typed there, as it would have been without the selection).
    mutating func messageKey(_ key: Key) -> [Effect] {
        if let command = keyBindings.command(for: key, in: .messages) { return perform(command) }
        stopSelectingMessages()
        return mainKey(key)
    }

    /// ↑ from an empty input: the message clicked or jumped to if there is one, else the newest
    /// on screen (the pane does not jump back to the bottom), else the newest.
    mutating func startSelectingMessages() -> [Effect] {
        let messages = selectableMessages
        guard let key = selectedConversation, var view = conversations[key], let newest = messages.last else {
            return []
        }
        let visible = Set(ChatPaneView.visibleMessageIDs(self))
        let highlighted = view.highlightedMessageID.flatMap { id in messages.first(where: { $0.id == id }) }
        let start = highlighted ?? messages.last(where: { visible.contains($0.id) }) ?? newest
        view.highlightedMessageID = start.id
        view.highlightQuery = nil
        view.revealSeq = nil
        conversations[key] = view
        selectingMessages = true
        showSelectedMessage()
        return []
    }

    /// Esc (or a letter): back to the input, the message no longer marked.
    mutating func stopSelectingMessages() {
        selectingMessages = false
        guard let key = selectedConversation, (conversations[key]?.highlightQuery ?? "").isEmpty else { return }
        conversations[key]?.highlightedMessageID = nil
    }

    /// The message `delta` places away. Past the newest the input has the keyboard again; before
    /// the oldest loaded, the page before it loads (↑ goes on once it is here).
    mutating func moveMessageSelection(by delta: Int) -> [Effect] {
        let messages = selectableMessages
        guard let key = selectedConversation, var view = conversations[key], let current = selectedMessage,
            let index = messages.firstIndex(where: { $0.id == current.id })
        else {
            stopSelectingMessages()
            return []
        }
        let next = index + delta
        if next >= messages.count {
            stopSelectingMessages()
            return []
        }
        if next < 0 {
            guard view.olderAvailable, !view.loadingOlder, let oldest = view.messages.first else { return [] }
            view.loadingOlder = true
            conversations[key] = view
            return [.loadHistory(conversation: key, beforeSeq: oldest.seq)]
        }
        view.highlightedMessageID = messages[next].id
        conversations[key] = view
        showSelectedMessage()
        return []
    }

    /// Scrolls the least that shows the selected message whole (or its first rows, if it is
    /// taller than the pane).
    mutating func showSelectedMessage() {
        guard let key = selectedConversation, let view = conversations[key], let id = view.highlightedMessageID,
            let offset = ChatPaneView.scrollOffset(showing: id, in: view, state: self)
        else { return }
        conversations[key]?.scrollOffset = offset
    }

    /// After a page key or the wheel while a message is selected: a selection scrolled out of
    /// sight moves to the nearest message on screen, so the keys act on what is seen.
    mutating func keepSelectionOnScreen() {
        guard isSelectingMessage, let key = selectedConversation, let current = selectedMessage else { return }
        let visible = Set(ChatPaneView.visibleMessageIDs(self))
        guard !visible.contains(current.id) else { return }
        func distance(_ message: ChatMessage) -> UInt64 {
            message.seq > current.seq ? message.seq - current.seq : current.seq - message.seq
        }
        let onScreen = selectableMessages.filter { visible.contains($0.id) }
        guard let nearest = onScreen.min(by: { distance($0) < distance($1) }) else { return }
        conversations[key]?.highlightedMessageID = nearest.id
    }

    // MARK: Acting on the selected message

    /// `r`: the next message sent answers this one; the input has the keyboard again.
    mutating func replyToSelected() {
        guard let key = selectedConversation, let message = selectedMessage else { return }
        reply = ReplyDraft(
            conversation: key,
            seq: message.seq,
            senderID: message.senderID,
            excerpt: message.text.replyExcerpt()
        )
        stopSelectingMessages()
    }

    /// `R` or Del: my own message, young enough, after a "y". Anything else is said, not tried:
    /// the server would refuse it anyway, with less to say about why.
    mutating func askToRecallSelected() {
        guard let key = selectedConversation, let message = selectedMessage, let me else { return }
        guard message.senderID == me.id else {
            showNotice("Only your own messages can be recalled.", .error)
            return
        }
        let minutes = ProtocolLimits.recallWindowMs / 60_000
        // Compared without subtracting: a server's time can be anything, and the difference overflow.
        let nowMs = TypingIndicator.milliseconds(now)
        guard message.sentAtMs <= nowMs, message.sentAtMs >= nowMs &- ProtocolLimits.recallWindowMs else {
            showNotice("Too late to recall: a message can be recalled for \(minutes) minutes after sending.", .error)
            return
        }
        let excerpt = DisplayWidth.truncate(TextWrapper.oneLine(message.text.replyExcerpt()), to: 30)
        overlay = .confirm(
            Confirmation(
                question: "Recall “\(excerpt)”? Everyone sees that you did.",
                action: .recall(key, seq: message.seq)
            )
        )
    }

    /// `c` or `y`: the text to the clipboard, through the terminal.
    mutating func copySelected() -> [Effect] {
        guard let message = selectedMessage else { return [] }
        showNotice("Copied to the clipboard.", .success)
        return [.copyToClipboard(message.text)]
    }

    /// `g` or Enter: to the message a reply quotes. Loaded, it is selected; not yet, the pages
    /// back to it load as a search result's do (`revealHighlight`), and it is marked when it lands.
    mutating func jumpToQuoteOfSelected() -> [Effect] {
        guard let key = selectedConversation, let message = selectedMessage, var view = conversations[key] else {
            return []
        }
        guard let quote = message.reply else {
            showNotice("This message is not a reply.", .info)
            return []
        }
        if let original = view.messages.first(where: { $0.seq == quote.seq }) {
            view.highlightedMessageID = original.id
            view.highlightQuery = nil
            view.revealSeq = nil
            conversations[key] = view
            if selectedMessage == nil {
                // Recalled, or a line with nothing to act on: shown, and the keys go back.
                if let offset = ChatPaneView.scrollOffset(showing: original.id, in: view, state: self) {
                    conversations[key]?.scrollOffset = offset
                }
                selectingMessages = false
                showNotice("The quoted message was recalled.", .info)
                return []
            }
            showSelectedMessage()
            return []
        }
        guard view.olderAvailable else {
            showNotice("The quoted message is no longer in the history.", .info)
            return []
        }
        view.highlightedMessageID = nil
        view.highlightQuery = nil
        view.revealSeq = quote.seq
        conversations[key] = view
        // Until it is here nothing is selected: the keys are the input's meanwhile.
        selectingMessages = false
        showNotice("Loading older messages…", .info)
        return revealHighlight(in: key)
    }

    /// `i`: who has read my message. In a group the server counts; one-to-one, the ✓✓ says it,
    /// and this says it in words.
    mutating func readCountOfSelected() -> [Effect] {
        guard let key = selectedConversation, let message = selectedMessage, let me else { return [] }
        guard message.senderID == me.id else {
            showNotice("Read counts are for your own messages.", .info)
            return []
        }
        if let group = key.groupID {
            showNotice("Asking who has read it…", .info)
            return [.readCount(group, seq: message.seq)]
        }
        let name = displayName(of: key)
        if peerReadSeq(of: key) >= message.seq {
            showNotice("\(name) has read it.", .info)
        } else {
            showNotice("\(name) has not read it yet (or one of you keeps read receipts off).", .info)
        }
        return []
    }

    /// How far the friend has read my messages (0 in a group, or while receipts are off).
    func peerReadSeq(of key: ConversationKey) -> UInt64 {
        key.userID.flatMap { chat?.conversations[$0]?.peerReadSeq } ?? 0
    }

    /// A recall, from this device or another: the message reads "alice recalled a message" from
    /// now on, and a reply being written to it is a plain message again.
    mutating func markRecalled(_ seq: UInt64, in key: ConversationKey) {
        if let index = conversations[key]?.messages.firstIndex(where: { $0.seq == seq }) {
            conversations[key]?.messages[index].recalled = true
            conversations[key]?.messages[index].text = ""
        }
        if let reply, reply.conversation == key, reply.seq == seq {
            self.reply = nil
            showNotice("The message you were answering was recalled: yours goes as a plain message.", .info)
        }
    }
}
