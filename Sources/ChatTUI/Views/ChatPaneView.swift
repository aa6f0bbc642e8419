import ChatClient
import Foundation

/// The conversation: day separators, times, senders, delivery marks for my messages, a line
/// above the first unread message, text wrapped by display width (CJK and emoji stay whole).
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
        guard let friend = state.selectedFriend else {
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
        var title = EmojiDisplay.displayed(friend.displayName, mode: state.emojiMode)
        if !friend.remark.isEmpty { title += " (\(friend.user.username))" }
        title += friend.blockedByMe ? "  ⊘ blocked" : friend.online ? "  ● online" : "  ○ offline"
        Box.draw(&canvas, rect, title: title, style: theme[.border], titleStyle: theme[.title])
        var inner = Rect(x: rect.x + 1, y: rect.y + 1, width: rect.width - 2, height: rect.height - 2)
        if let banner = offlineBanner(state) {
            canvas.fill(Rect(x: inner.x, y: inner.y, width: inner.width, height: 1), style: theme[.banner])
            canvas.put(" " + banner, x: inner.x, y: inner.y, style: theme[.banner], maxX: inner.maxX)
            inner = Rect(x: inner.x, y: inner.y + 1, width: inner.width, height: inner.height - 1)
        }
        let view = state.conversations[friend.user.id] ?? ConversationView()
        let lines = self.lines(
            for: view,
            peer: friend,
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
        if offset > 0 {
            Box.putRight(
                &canvas,
                " ↓ \(offset) more below · Ctrl-G latest ",
                maxX: rect.maxX - 2,
                y: rect.maxY - 1,
                style: theme[.highlight]
            )
        }
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
        guard let friend = state.selectedFriend else { return 0 }
        let width = MainView.layout(state).chat.width - 4
        return lines(for: view, peer: friend, state: state, width: width).count
    }

    /// The conversation's rows, oldest first. With `atLeast`, only the newest rows that many
    /// rows need are built (messages are wrapped newest first until there are enough): a frame
    /// wraps what it can show, not the whole loaded history.
    static func lines(
        for view: ConversationView,
        peer: Friend,
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
        let pending = state.chat?.outbox.filter { $0.peerID == peer.user.id } ?? []
        if view.messages.isEmpty && pending.isEmpty {
            return header + [Line(segments: [Segment(text: "No messages yet. Say hi 👋", role: .hint)], centered: true)]
        }
        let myName = "me"
        let theirName = EmojiDisplay.displayed(peer.displayName, mode: state.emojiMode)
        let nameWidth = min(12, max(DisplayWidth.of(myName), DisplayWidth.of(theirName)))
        let textColumn = 6 + nameWidth + 1
        let textWidth = max(1, width - textColumn - 2)
        func dayLine(_ ms: Int64) -> Line {
            Line(segments: [Segment(text: "── \(TimeFormat.day(ms: ms)) ──", role: .daySeparator)], centered: true)
        }
        // Outbox messages go below the sent ones, with a day line where the day changes.
        var tail: [Line] = []
        var previousDay = view.messages.last?.sentAtMs
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
            var block: [Line] = []
            if index == 0 || !TimeFormat.sameDay(view.messages[index - 1].sentAtMs, message.sentAtMs) {
                block.append(dayLine(message.sentAtMs))
            }
            if let first = view.firstUnreadSeq, message.seq == first, message.senderID != me.id {
                block.append(
                    Line(segments: [Segment(text: "──── new messages ────", role: .newMessages)], centered: true)
                )
            }
            let mine = message.senderID == me.id
            let name = DisplayWidth.truncate(mine ? myName : theirName, to: nameWidth)
            let highlighted = view.highlightedMessageID == message.id
            appendMessage(
                time: TimeFormat.clock(ms: message.sentAtMs),
                name: name,
                nameWidth: nameWidth,
                mine: mine,
                text: EmojiDisplay.displayed(message.text, mode: state.emojiMode),
                mark: mine ? "✓" : nil,
                markRole: .delivered,
                textWidth: textWidth,
                highlight: highlighted ? view.highlightQuery : nil,
                messageID: message.id,
                selected: highlighted && (view.highlightQuery ?? "").isEmpty,
                to: &block
            )
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
            var body = highlightSegments(piece, query: highlight)
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

    /// Splits text so the parts matching `query` (case-insensitively) are marked.
    static func highlightSegments(_ text: String, query: String?) -> [Segment] {
        guard let query, !query.isEmpty else { return [Segment(text: text, role: .messageText)] }
        var segments: [Segment] = []
        var rest = Substring(text)
        while let range = rest.range(of: query, options: [.caseInsensitive]) {
            if range.lowerBound > rest.startIndex {
                segments.append(Segment(text: String(rest[rest.startIndex..<range.lowerBound]), role: .messageText))
            }
            segments.append(Segment(text: String(rest[range]), role: .highlight, highlighted: true))
            rest = rest[range.upperBound...]
        }
        if !rest.isEmpty { segments.append(Segment(text: String(rest), role: .messageText)) }
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
