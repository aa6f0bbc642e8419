import ChatClient
import Foundation

/// The conversation: day separators, times, senders, delivery and read marks for my messages,
/// a line above the first unread message, replies' quotes, recalls, a group's system lines and
/// messages that mention me, text wrapped by display width (CJK and emoji stay whole).
enum ChatPaneView {
    struct Segment: Equatable {
        var text: String
        var role: ThemeRole
        var highlighted = false
        /// The web link this text is part of (drawn underlined, written as an OSC 8 hyperlink).
        var link: String?
    }

    /// One screen row of the conversation.
    struct Line: Equatable {
        var segments: [Segment]
        var centered = false
        /// The message the row shows part of, for the mouse.
        var messageID: Int64?
    }

    static func render(_ state: AppState, in rect: Rect, into canvas: inout Canvas) {
        let theme = state.theme
        canvas.hitMap.add(rect, .chatPane)
        guard let key = state.selectedConversation, let title = title(of: key, state: state) else {
            Box.draw(&canvas, rect, title: "Chat", style: theme[.border], titleStyle: theme[.title])
            let hint =
                state.chat?.friends.isEmpty ?? true
                ? "Find people with \(state.keyBindings.keyName(for: .findPeople)); their requests arrive under \(state.keyBindings.keyName(for: .friendRequests))."
                : "Choose a friend on the left (Ctrl-N / Ctrl-P)."
            canvas.put(
                DisplayWidth.truncate(hint, to: rect.width - 4),
                x: rect.x + 2,
                y: rect.y + 2,
                style: theme[.hint]
            )
            return
        }
        // A selected message has the keyboard: the pane's border says so, as the input's does.
        let border = state.isSelectingMessage ? theme[.borderFocused] : theme[.border]
        Box.draw(&canvas, rect, title: title, style: border, titleStyle: theme[.title])
        var inner = Rect(x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: rect.height - 2)
        if let banner = offlineBanner(state) {
            canvas.fill(Rect(x: inner.x, y: inner.y, width: inner.width, height: 1), style: theme[.banner])
            canvas.put(" " + banner, x: inner.x, y: inner.y, style: theme[.banner], maxX: inner.maxX)
            inner = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
        }
        let view = state.conversations[key] ?? ConversationView()
        let lines = self.lines(
            for: view,
            in: key,
            state: state,
            width: inner.width - 2,
            atLeast: inner.height + view.scrollOffset
        )
        let offset = min(view.scrollOffset, max(0, lines.count - inner.height))
        let end = lines.count - offset
        let start = max(0, end - inner.height)
        var y = inner.maxY - (end - start)
        for line in lines[start..<end] {
            draw(line, x: inner.x + 1, y: y, width: inner.width - 2, theme: theme, into: &canvas)
            if let id = line.messageID {
                canvas.hitMap.add(Rect(x: inner.x, y: y, width: inner.width, height: 1), .message(id))
            }
            y += 1
        }
        renderBottomBorder(state, key: key, offset: offset, in: rect, into: &canvas)
    }

    /// The bottom border's words: who is typing at the left; at the right, how far the pane is
    /// scrolled up, or while a message is selected, its keys.
    static func renderBottomBorder(
        _ state: AppState,
        key: ConversationKey,
        offset: Int,
        in rect: Rect,
        into canvas: inout Canvas
    ) {
        let theme = state.theme
        let y = rect.maxY - 1
        var left = rect.x + 2
        if let typing = TypingIndicator.text(in: key, state: state) {
            let text = " " + DisplayWidth.truncate(typing, to: max(0, rect.width - 8)) + " "
            left = canvas.put(text, x: left, y: y, style: theme[.hint], maxX: rect.maxX - 2)
        }
        var right: String?
        if offset > 0 {
            right = " ↓ \(offset) more below · Ctrl-G latest "
        } else if state.isSelectingMessage {
            let keys = state.keyBindings
            right =
                " \(keys.keyName(for: .replyToMessage)) reply · \(keys.keyName(for: .recallMessage)) recall · "
                + "\(keys.keyName(for: .copyMessage)) copy · \(keys.keyName(for: .stopSelecting)) back "
        }
        if let right, rect.maxX - 2 - DisplayWidth.of(right) >= left {
            Box.putRight(&canvas, right, maxX: rect.maxX - 2, y: y, style: theme[.highlight])
        }
    }

    /// The pane's title: a friend's name and presence, a group's name and size; nil when the
    /// conversation is not (or no longer) one I have.
    static func title(of key: ConversationKey, state: AppState) -> String? {
        if let user = key.userID {
            guard let friend = state.chat?.friends[user] else { return nil }
            var title = EmojiDisplay.displayed(friend.displayName, mode: state.emojiMode)
            if !friend.remark.isEmpty { title += " (\(friend.user.username))" }
            title += friend.blockedByMe ? "  ⊘ blocked" : friend.online ? "  ● online" : "  ○ offline"
            return title
        }
        guard let group = key.groupID.flatMap({ state.chat?.groups[$0] }) else { return nil }
        let name = "# " + EmojiDisplay.displayed(group.group.name, mode: state.emojiMode)
        guard group.isMember else { return name + "  (you left)" }
        let count = group.group.memberCount
        return name + "  \(count) member\(count == 1 ? "" : "s")"
    }

    static func offlineBanner(_ state: AppState) -> String? {
        switch state.chat?.connection {
        case .reconnecting(let at, let error) where at > state.now:
            let seconds = Int(at.timeIntervalSince(state.now).rounded(.up))
            return "Offline (\(error)) — reconnecting in \(seconds) s. Messages you send wait in the outbox."
        case .offline, .connecting, .reconnecting:
            return "Offline — connecting… Messages you send wait in the outbox."
        default:
            return nil
        }
    }

    /// How many rows the conversation takes at the current size (for paging).
    static func lineCount(of view: ConversationView, state: AppState) -> Int {
        guard let key = state.selectedConversation else { return 0 }
        let width = MainView.layout(state).chat.width - 4
        return lines(for: view, in: key, state: state, width: width).count
    }

    /// The seqs of the loaded messages that are recalled: marked so, or withdrawn by a recall
    /// line (an original loaded before its recall line reads "… recalled a message" too).
    static func recalledSeqs(in view: ConversationView) -> Set<UInt64> {
        var seqs = Set<UInt64>()
        for message in view.messages {
            if message.kind == .recall { seqs.insert(message.recalledSeq) }
            if message.recalled { seqs.insert(message.seq) }
        }
        return seqs
    }

    /// The conversation's rows, oldest first. With `atLeast`, only the newest rows that many
    /// rows need are built (messages are wrapped newest first until there are enough): a frame
    /// wraps what it can show, not the whole loaded history.
    ///
    /// A reply has its quote on a row above it; a recalled message and a group's system line
    /// are centred and quiet; recall lines themselves are not shown (the message they withdrew
    /// says it). In a group every message has its sender's name.
    static func lines(
        for view: ConversationView,
        in conversation: ConversationKey,
        state: AppState,
        width: Int,
        atLeast needed: Int = .max
    ) -> [Line] {
        guard width > 10, let me = state.me else { return [] }
        var header: [Line] = []
        if view.loadingOlder {
            header.append(Line(segments: [Segment(text: "loading older messages…", role: .hint)], centered: true))
        } else if !view.olderAvailable, !view.messages.isEmpty {
            header.append(
                Line(segments: [Segment(text: "— the beginning of your conversation —", role: .hint)], centered: true)
            )
        }
        // The outbox keys a conversation as the cache does, by `ConversationKey.rawValue`.
        let pending = state.chat?.outbox.filter { $0.peerID == conversation.rawValue } ?? []
        if view.messages.isEmpty && pending.isEmpty {
            return header + [Line(segments: [Segment(text: "No messages yet. Say hi 👋", role: .hint)], centered: true)]
        }
        let myName = "me"
        // Members by username, looked up once: a group may have hundreds.
        var usernames: [UserID: String] = [:]
        if let group = conversation.groupID {
            for member in state.chat?.groupMembers[group] ?? [] { usernames[member.user.id] = member.user.username }
        }
        func name(_ user: UserID) -> String {
            guard user != me.id else { return myName }
            let known = state.chat?.friends[user]?.displayName ?? usernames[user]
            return EmojiDisplay.displayed(
                known ?? state.memberName(user, in: conversation.groupID),
                mode: state.emojiMode
            )
        }
        // The same width whichever rows are built: every name the conversation may show.
        var people = Set(view.messages.map(\.senderID)).union(usernames.keys)
        if let user = conversation.userID { people.insert(user) }
        let nameWidth = min(12, people.map { DisplayWidth.of(name($0)) }.reduce(DisplayWidth.of(myName), max))
        let textColumn = 6 + nameWidth + 1
        let textWidth = max(1, width - textColumn - 2)
        let recalled = recalledSeqs(in: view)
        let peerRead = state.peerReadSeq(of: conversation)
        func dayLine(_ ms: Int64) -> Line {
            Line(segments: [Segment(text: "── \(TimeFormat.day(ms: ms)) ──", role: .daySeparator)], centered: true)
        }
        func centered(_ text: String, messageID: Int64? = nil) -> [Line] {
            TextWrapper.wrap(text, width: max(1, width - 4)).map {
                Line(segments: [Segment(text: $0, role: .hint)], centered: true, messageID: messageID)
            }
        }
        // Outbox messages go below the sent ones, with a day line where the day changes.
        var tail: [Line] = []
        var previousDay = view.messages.last(where: { $0.kind != .recall })?.sentAtMs
        for message in pending {
            if previousDay.map({ !TimeFormat.sameDay($0, message.createdAtMs) }) ?? true {
                tail.append(dayLine(message.createdAtMs))
            }
            previousDay = message.createdAtMs
            appendMessage(
                time: TimeFormat.clock(ms: message.createdAtMs),
                name: myName,
                nameWidth: nameWidth,
                mine: true,
                text: EmojiDisplay.displayed(message.text, mode: state.emojiMode),
                mark: "…",
                markRole: .pending,
                textWidth: textWidth,
                highlight: nil,
                to: &tail
            )
        }
        // Sent messages, newest first, each with the day line and new-messages line above it.
        var blocks: [[Line]] = []
        var count = tail.count
        var index = view.messages.count
        while index > 0 && count < needed {
            index -= 1
            let message = view.messages[index]
            if message.kind == .recall { continue }
            var block: [Line] = []
            let previous = view.messages[..<index].last(where: { $0.kind != .recall })
            if previous.map({ !TimeFormat.sameDay($0.sentAtMs, message.sentAtMs) }) ?? true {
                block.append(dayLine(message.sentAtMs))
            }
            if let first = view.firstUnreadSeq, message.seq == first, message.senderID != me.id {
                block.append(
                    Line(segments: [Segment(text: "──── new messages ────", role: .newMessages)], centered: true)
                )
            }
            let mine = message.senderID == me.id
            if message.kind == .system {
                block += centered(EmojiDisplay.displayed(TextWrapper.oneLine(message.text), mode: state.emojiMode))
            } else if recalled.contains(message.seq) {
                block += centered("\(mine ? "You" : name(message.senderID)) recalled a message")
            } else {
                if let quote = message.reply {
                    let gone = quote.excerpt.isEmpty || recalled.contains(quote.seq)
                    let excerpt = gone ? "(recalled)" : EmojiDisplay.displayed(quote.excerpt, mode: state.emojiMode)
                    let text = "↳ \(name(quote.senderID)): " + TextWrapper.oneLine(excerpt)
                    block.append(
                        Line(
                            segments: [
                                Segment(text: String(repeating: " ", count: textColumn), role: .messageText),
                                Segment(text: DisplayWidth.truncate(text, to: textWidth), role: .hint),
                            ],
                            messageID: message.id
                        )
                    )
                }
                let highlighted = view.highlightedMessageID == message.id
                appendMessage(
                    time: TimeFormat.clock(ms: message.sentAtMs),
                    name: DisplayWidth.truncate(name(message.senderID), to: nameWidth),
                    nameWidth: nameWidth,
                    mine: mine,
                    text: EmojiDisplay.displayed(message.text, mode: state.emojiMode),
                    // ✓ stored; ✓✓ the friend has read it (one-to-one, while both send receipts).
                    mark: mine ? (peerRead >= message.seq ? "✓✓" : "✓") : nil,
                    markRole: .delivered,
                    textWidth: textWidth,
                    highlight: highlighted ? view.highlightQuery : nil,
                    textRole: !mine && message.mentions(me.id) ? .mention : .messageText,
                    messageID: message.id,
                    selected: highlighted && (view.highlightQuery ?? "").isEmpty,
                    to: &block
                )
            }
            count += block.count
            blocks.append(block)
        }
        var lines = index == 0 ? header : []
        for block in blocks.reversed() { lines += block }
        return lines + tail
    }

    static func appendMessage(
        time: String,
        name: String,
        nameWidth: Int,
        mine: Bool,
        text: String,
        mark: String?,
        markRole: ThemeRole,
        textWidth: Int,
        highlight: String?,
        textRole: ThemeRole = .messageText,
        messageID: Int64? = nil,
        selected: Bool = false,
        to lines: inout [Line]
    ) {
        let wrapped = TextWrapper.wrap(text, width: textWidth)
        let padding = String(repeating: " ", count: max(0, nameWidth - DisplayWidth.of(name)))
        let links = linkOfEachCharacter(in: text)
        var linksUsed = 0
        for (index, piece) in wrapped.enumerated() {
            var segments: [Segment] = []
            if index == 0 {
                segments.append(Segment(text: time + " ", role: .timestamp))
                segments.append(Segment(text: name + padding + " ", role: mine ? .myName : .theirName))
            } else {
                segments.append(Segment(text: String(repeating: " ", count: 6 + nameWidth + 1), role: .messageText))
            }
            var body = highlightSegments(piece, query: highlight, role: textRole)
            if !links.isEmpty { body = linkSegments(body, links: links, used: &linksUsed) }
            // A selected message (clicked) is drawn reversed, like a search match.
            if selected {
                for part in body.indices { body[part].highlighted = true }
            }
            segments.append(contentsOf: body)
            if index == wrapped.count - 1, let mark {
                segments.append(Segment(text: " " + mark, role: markRole))
            }
            lines.append(Line(segments: segments, messageID: messageID))
        }
    }

    /// The link of each character of `text` that the wrapper keeps as it is (all but spaces,
    /// tabs and line breaks, which it drops or turns into spaces), in order: the wrapped lines'
    /// other characters are these, so a link broken over two lines stays one link. Empty when
    /// the text has no link.
    static func linkOfEachCharacter(in text: String) -> [String?] {
        let found = LinkDetector.find(in: text)
        guard !found.isEmpty else { return [] }
        var result: [String?] = []
        for (offset, character) in text.enumerated() where !isWrapSpace(character) {
            result.append(found.first { $0.range.contains(offset) }?.url)
        }
        return result
    }

    private static func isWrapSpace(_ character: Character) -> Bool {
        character == " " || character == "\t" || character == "\n" || character == "\r\n" || character == "\r"
    }

    /// `segments` split where a link starts or ends, each part carrying its link. `used` counts
    /// the entries of `links` taken by earlier lines.
    static func linkSegments(_ segments: [Segment], links: [String?], used: inout Int) -> [Segment] {
        var result: [Segment] = []
        for segment in segments {
            var part = Segment(text: "", role: segment.role, highlighted: segment.highlighted)
            for character in segment.text {
                var link: String?
                if !isWrapSpace(character) {
                    link = used < links.count ? links[used] : nil
                    used += 1
                }
                if link != part.link, !part.text.isEmpty {
                    result.append(part)
                    part = Segment(text: "", role: segment.role, highlighted: segment.highlighted)
                }
                part.link = link
                part.text.append(character)
            }
            if !part.text.isEmpty { result.append(part) }
        }
        return result
    }

    /// Splits text so the parts matching `query` (case-insensitively) are marked; the rest is
    /// drawn as `role`.
    static func highlightSegments(_ text: String, query: String?, role: ThemeRole = .messageText) -> [Segment] {
        guard let query, !query.isEmpty else { return [Segment(text: text, role: role)] }
        var segments: [Segment] = []
        var rest = Substring(text)
        while let range = rest.range(of: query, options: [.caseInsensitive]) {
            if range.lowerBound > rest.startIndex {
                segments.append(Segment(text: String(rest[rest.startIndex..<range.lowerBound]), role: role))
            }
            segments.append(Segment(text: String(rest[range]), role: .highlight, highlighted: true))
            rest = rest[range.upperBound...]
        }
        if !rest.isEmpty { segments.append(Segment(text: String(rest), role: role)) }
        return segments
    }

    static func draw(_ line: Line, x: Int, y: Int, width: Int, theme: Theme, into canvas: inout Canvas) {
        var column = x
        if line.centered {
            let total = line.segments.reduce(0) { $0 + DisplayWidth.of($1.text) }
            column = x + max(0, (width - total) / 2)
        }
        for segment in line.segments {
            var style = theme[segment.role]
            if segment.highlighted { style.reverse = true }
            var link: UInt16 = 0
            if let url = segment.link {
                link = canvas.linkID(for: url)
                style.underline = true
            }
            column = canvas.put(segment.text, x: column, y: y, style: style, maxX: x + width, link: link)
        }
    }
}
