import ChatClient
import ChatProtocol
import Foundation

extension AppState {
    mutating func handleKey(_ key: Key) -> [Effect] {
        if key == .resize { return [] }
        if case .mouse(let event) = key { return handleMouse(event) }
        if keyBindings.command(for: key, in: .app) == .quit {
            quitRequested = true
            return []
        }
        // A sequence begun in the input is over once the keyboard is somewhere else.
        if screen != .main || overlay != nil || focus != .input { pendingPrefix = nil }
        switch screen {
        case .signIn: return signInKey(key)
        case .register: return registerKey(key)
        case .resetPassword: return resetKey(key)
        case .main:
            if overlay != nil { return overlayKey(key) }
            return mainKey(key)
        }
    }

    // MARK: Sign-in screens

    mutating func signInKey(_ key: Key) -> [Effect] {
        switch key {
        case .function(2), .control("n"):
            screen = .register
            register.focus = 0
            return []
        case .function(3):
            screen = .resetPassword
            if !signIn.account.text.isEmpty, signIn.account.text.contains("@") {
                reset.email.setText(signIn.account.text)
            }
            return []
        case .tab, .down:
            signIn.focus = (signIn.focus + 1) % SignInForm.fieldCount
            return []
        case .backTab, .up:
            signIn.focus = (signIn.focus + SignInForm.fieldCount - 1) % SignInForm.fieldCount
            return []
        case .enter:
            if signIn.focus == 0 {
                signIn.focus = 1
                return []
            }
            guard !signIn.busy else { return [] }
            let account = signIn.account.text.trimmingCharacters(in: .whitespaces)
            guard !account.isEmpty, !signIn.password.text.isEmpty else {
                signIn.error = "Enter your username or email and your password."
                return []
            }
            signIn.busy = true
            signIn.error = nil
            signIn.info = nil
            return [.signIn(account: account, password: signIn.password.text)]
        default:
            if signIn.focus == 0 { _ = signIn.account.handle(key) } else { _ = signIn.password.handle(key) }
            return []
        }
    }

    mutating func registerKey(_ key: Key) -> [Effect] {
        switch key {
        case .escape, .function(2):
            screen = .signIn
            return []
        case .tab, .down:
            let check = register.focus == 0 ? checkUsername() : []
            register.focus = (register.focus + 1) % RegisterForm.fieldCount
            return check
        case .backTab, .up:
            let check = register.focus == 0 ? checkUsername() : []
            register.focus = (register.focus + RegisterForm.fieldCount - 1) % RegisterForm.fieldCount
            return check
        case .function(5):
            return checkUsername() + sendRegisterCode()
        case .enter:
            switch register.focus {
            case 1: return checkUsername() + sendRegisterCode()
            case 4: return submitRegistration()
            default:
                let check = register.focus == 0 ? checkUsername() : []
                register.focus += 1
                return check
            }
        default:
            switch register.focus {
            case 0: _ = register.username.handle(key)
            case 1: _ = register.email.handle(key)
            case 2: _ = register.code.handle(key)
            case 3: _ = register.password.handle(key)
            default: _ = register.confirm.handle(key)
            }
            return []
        }
    }

    mutating func sendRegisterCode() -> [Effect] {
        let email = register.email.text.trimmingCharacters(in: .whitespaces)
        if let problem = register.emailProblem ?? (email.isEmpty ? "Enter your email address first." : nil) {
            register.error = problem
            register.focus = 1
            return []
        }
        register.busy = true
        register.error = nil
        codesAskedFor.insert(AccountRules.normalizedEmail(email))
        return [.requestCode(email: email, purpose: .register)]
    }

    mutating func submitRegistration() -> [Effect] {
        let form = register
        let problems: [String?] = [
            form.usernameProblem, form.emailProblem, form.codeProblem, form.passwordProblem, form.confirmProblem,
            form.username.text.isEmpty ? "Choose a username." : nil,
            form.code.text.isEmpty ? "Enter the code from the mail (F5 sends one)." : nil,
            form.password.text.isEmpty ? "Choose a password." : nil,
        ]
        let problem = problems.compactMap { $0 }.first
        if let problem {
            register.error = problem
            return []
        }
        register.busy = true
        register.error = nil
        return [
            .register(
                username: form.username.text,
                email: form.email.text.trimmingCharacters(in: .whitespaces),
                password: form.password.text,
                code: form.code.text
            )
        ]
    }

    mutating func resetKey(_ key: Key) -> [Effect] {
        switch key {
        case .escape, .function(3):
            screen = .signIn
            return []
        case .tab, .down:
            reset.focus = (reset.focus + 1) % ResetForm.fieldCount
            return []
        case .backTab, .up:
            reset.focus = (reset.focus + ResetForm.fieldCount - 1) % ResetForm.fieldCount
            return []
        case .function(5):
            return sendResetCode()
        case .enter:
            switch reset.focus {
            case 0: return sendResetCode()
            case 3:
                let problem =
                    RegisterForm.problem(reset.password.text) { try AccountRules.validatePassword($0) }
                    ?? (reset.confirm.text != reset.password.text ? "The passwords do not match." : nil)
                    ?? (reset.code.text.isEmpty ? "Enter the code from the mail." : nil)
                if let problem {
                    reset.error = problem
                    return []
                }
                reset.busy = true
                reset.error = nil
                return [
                    .resetPassword(
                        email: reset.email.text.trimmingCharacters(in: .whitespaces),
                        code: reset.code.text,
                        newPassword: reset.password.text
                    )
                ]
            default:
                reset.focus += 1
                return []
            }
        default:
            switch reset.focus {
            case 0: _ = reset.email.handle(key)
            case 1: _ = reset.code.handle(key)
            case 2: _ = reset.password.handle(key)
            default: _ = reset.confirm.handle(key)
            }
            return []
        }
    }

    mutating func sendResetCode() -> [Effect] {
        let email = reset.email.text.trimmingCharacters(in: .whitespaces)
        if let problem = RegisterForm.problem(email, { try AccountRules.validateEmail($0) })
            ?? (email.isEmpty ? "Enter your email address." : nil)
        {
            reset.error = problem
            return []
        }
        reset.busy = true
        reset.error = nil
        codesAskedFor.insert(AccountRules.normalizedEmail(email))
        return [.requestCode(email: email, purpose: .reset)]
    }

    // MARK: Main screen

    mutating func mainKey(_ key: Key) -> [Effect] {
        // The key after Ctrl-X belongs to the sequence, whatever it does alone.
        if let prefix = pendingPrefix { return prefixedKey(prefix, key) }
        if let command = keyBindings.command(for: key, in: .main) { return perform(command) }
        switch focus {
        case .friends:
            // While filtering, keys edit the filter.
            if friendFilter == nil, let command = keyBindings.command(for: key, in: .friendList) {
                return perform(command)
            }
            return friendFilterKey(key)
        case .input:
            // A selected message has the keys until Esc or a letter; one gone (another
            // conversation opened, the message recalled) gives them back.
            if selectingMessages {
                if isSelectingMessage { return messageKey(key) }
                stopSelectingMessages()
            }
            if keyBindings.isPrefix(key, in: .input) {
                pendingPrefix = key
                let next = keyBindings.bindings.filter { $0.context == .input && $0.prefix == key }
                    .map { "\($0.keyNames): \($0.summary)" }
                showNotice(next.joined(separator: " · "), .info, seconds: 30)
                return []
            }
            if let command = keyBindings.command(for: key, in: .input) {
                // ↑ selects a message only from an empty line: in text it moves up a line or
                // recalls what was sent, as readline's does.
                if command == .selectMessage, !input.isEmpty || selectableMessages.isEmpty { return inputKey(key) }
                return perform(command)
            }
            return inputKey(key)
        }
    }

    /// The key after a prefix: the sequence's command, or else nothing (a sequence that means
    /// nothing is dropped, its second key not acted on). Text is the exception: a printable key
    /// or a paste is typed, never thrown away (Ctrl-X then a letter, minutes later, is a letter).
    mutating func prefixedKey(_ prefix: Key, _ key: Key) -> [Effect] {
        pendingPrefix = nil
        notice = nil
        if let command = keyBindings.command(after: prefix, key: key, in: .input) { return perform(command) }
        switch key {
        case .paste, .character: return inputKey(key)
        default: break
        }
        if key != .escape { showNotice("\(prefix.name) \(key.name) does nothing.", .info) }
        return []
    }

    /// Carries out a command of the main screen, whichever key asked for it.
    mutating func perform(_ command: Command) -> [Effect] {
        switch command {
        case .quit:
            quitRequested = true
        case .redraw, .suspend:
            break  // the app loop does these: they act on the terminal, not the state
        case .help:
            overlay = .help
            helpScroll = 0
        case .findPeople:
            overlay = .findUser(FindUser())
        case .friendRequests:
            overlay = .requests(RequestsPanel())
        case .searchMessages:
            overlay = .search(MessageSearch())
        case .searchConversation:
            guard let key = selectedConversation else {
                let all = keyBindings.keyName(for: .searchMessages)
                showNotice("Open a conversation to search it (\(all) searches them all).", .error)
                return []
            }
            overlay = .search(MessageSearch(conversation: key))
        case .chooseTheme:
            // A theme's file is its display name in lower case with hyphens ("High contrast" is
            // high-contrast.toml), or the name itself.
            let fileName = theme.name.lowercased().replacingOccurrences(of: " ", with: "-")
            let current =
                themeNames.firstIndex(of: fileName) ?? themeNames.firstIndex(of: theme.name.lowercased())
                ?? themeNames.firstIndex(of: theme.name) ?? 0
            overlay = .themes(
                ThemePicker(
                    selected: current,
                    original: themeNames.indices.contains(current) ? themeNames[current] : nil
                )
            )
        case .signOut:
            overlay = .confirm(
                Confirmation(question: "Sign out of \(me?.username ?? "this account")?", action: .signOut)
            )
        case .nextConversation, .friendDown:
            return moveSelection(by: 1)
        case .previousConversation, .friendUp:
            return moveSelection(by: -1)
        case .nextUnread:
            return openNextUnread()
        case .conversation1, .conversation2, .conversation3, .conversation4, .conversation5, .conversation6,
            .conversation7, .conversation8, .conversation9:
            return openConversation(number: command.conversationNumber ?? 1)
        case .scrollOlder:
            return scroll(by: max(1, chatPaneHeight - 2))
        case .scrollNewer:
            return scroll(by: -max(1, chatPaneHeight - 2))
        case .jumpToLatest:
            if let key = selectedConversation {
                conversations[key]?.scrollOffset = 0
                conversations[key]?.revealSeq = nil
            }
        case .switchFocus:
            // The one key that moves focus to the friend list. Tab and Esc never do: both are
            // pressed by habit while typing, and the friend list has keys that act on a friend.
            focus = focus == .input ? .friends : .input
            friendFilter = nil
            return markSelectedReadIfWriting()
        case .backToInput:
            focus = .input
            friendFilter = nil
            return markSelectedReadIfWriting()
        case .filterFriends:
            friendFilter = LineEditor()
        case .setRemark:
            guard let friend = selectedFriend else { return onlyForFriends("A remark") }
            var editor = RemarkEditor(friend: friend.user.id)
            editor.remark.setText(friend.remark)
            overlay = .remark(editor)
        // Acting on a friend takes a key that cannot be typed as text, then a "y".
        case .toggleBlock:
            guard let friend = selectedFriend else { return onlyForFriends("Blocking") }
            overlay =
                friend.blockedByMe
                ? .confirm(Confirmation(question: "Unblock \(friend.displayName)?", action: .unblock(friend.user.id)))
                : .confirm(
                    Confirmation(
                        question: "Block \(friend.displayName)? Neither of you can message the other.",
                        action: .block(friend.user.id)
                    )
                )
        case .removeFriend:
            guard let friend = selectedFriend else { return onlyForFriends("Removing") }
            overlay = .confirm(
                Confirmation(
                    question: "Remove \(friend.displayName) from your friends?",
                    action: .removeFriend(friend.user.id)
                )
            )
        case .completeName:
            return completeName()
        case .composeInEditor:
            return [.composeInEditor(draft: input.text, conversation: selectedConversation)]
        case .exportConversation:
            return exportSelected()
        case .newGroup:
            overlay = .pickFriends(FriendPicker(purpose: .newGroup))
        case .groupMembers:
            return toggleMemberPane()
        case .groupInfo:
            return openGroupInfo()
        case .mute:
            return toggleMute()
        case .readReceipts:
            return [.setSendsReadReceipts(!(chat?.sendsReadReceipts ?? true))]
        case .selectMessage, .cancelReply, .olderMessage, .newerMessage, .stopSelecting, .replyToMessage,
            .recallMessage, .copyMessage, .jumpToQuote, .readCount:
            return performOnMessages(command)
        }
        return []
    }

    /// A friend's action asked for on a group: said, and nothing done.
    mutating func onlyForFriends(_ what: String) -> [Effect] {
        if selectedGroup != nil {
            let info = keyBindings.keyName(for: .groupInfo)
            showNotice("\(what) is for friends, not groups. \(info) shows what a group offers.", .info)
        }
        return []
    }

    /// F4: the open conversation to a file, each message under the name I know its sender by.
    mutating func exportSelected() -> [Effect] {
        guard let key = selectedConversation, let me else {
            showNotice("Open a conversation to export it.", .error)
            return []
        }
        var names = [me.id: me.username]
        let fileStem: String
        let name: String
        if let peer = key.userID {
            let friend = chat?.friends[peer]
            fileStem = friend?.user.username ?? "\(peer)"
            name = friend?.displayName ?? fileStem
            names[peer] = name
        } else {
            let group = key.groupID ?? 0
            name = displayName(of: key)
            fileStem = "group-" + name
            // Friends by the names I gave them, the other members (those still in it) by theirs.
            for friend in (chat?.friends ?? [:]).values { names[friend.user.id] = friend.displayName }
            for member in chat?.groupMembers[group] ?? [] where names[member.user.id] == nil {
                names[member.user.id] = member.user.username
            }
        }
        showNotice("Exporting the conversation with \(name)…", .info)
        return [.exportConversation(conversation: key, fileStem: fileStem, names: names)]
    }

    /// Keys while the friend list's filter is open.
    mutating func friendFilterKey(_ key: Key) -> [Effect] {
        guard var filter = friendFilter else { return [] }
        switch key {
        case .escape:
            friendFilter = nil
            return []
        case .enter:
            friendFilter = nil
            focus = .input
            return markSelectedReadIfWriting()
        case .up: return moveSelection(by: -1)
        case .down: return moveSelection(by: 1)
        default:
            _ = filter.handle(key)
            friendFilter = filter
            let visible = visibleConversations
            if let first = visible.first, !visible.contains(where: { $0.key == selectedConversation }) {
                return select(first.key)
            }
            return []
        }
    }

    mutating func inputKey(_ key: Key) -> [Effect] {
        // Esc stays in the input: it is often half of an Alt key typed slowly.
        if key == .escape { return [] }
        let before = input.text
        switch input.handle(key) {
        case .submitted(let text):
            guard let conversation = selectedConversation else {
                showNotice("Pick a friend to talk to first (Ctrl-N / Ctrl-P).", .error)
                input.setText(text)
                return []
            }
            if let group = selectedGroup, !group.isMember {
                showNotice("You are no longer in \(group.group.name): its history stays, but you cannot write.", .error)
                input.setText(text)
                return []
            }
            if let friend = selectedFriend, friend.blockedByMe {
                showNotice(
                    "You blocked \(friend.displayName). Unblock them (Alt-B in the friend list) to write.",
                    .error
                )
                input.setText(text)
                return []
            }
            conversations[conversation]?.scrollOffset = 0
            conversations[conversation]?.firstUnreadSeq = nil
            return sendEffects(text, to: conversation)
        case .edited:
            return typingEffects(before: before)
        case .unhandled:
            return []
        }
    }

    mutating func moveSelection(by delta: Int) -> [Effect] {
        let list = visibleConversations
        guard !list.isEmpty else { return [] }
        let index = list.firstIndex { $0.key == selectedConversation } ?? 0
        let next = min(max(0, index + delta), list.count - 1)
        guard list[next].key != selectedConversation else { return [] }
        return select(list[next].key)
    }

    /// What Tab completes in the input: friends' usernames and the remarks given them, and in
    /// a group "@" and its members' usernames (only a word begun with "@" matches those).
    var completionNames: [String] {
        visibleFriends.flatMap { [$0.user.username, $0.remark] }.filter { !$0.isEmpty } + mentionCandidates
    }

    /// Rows of the chat pane's message area (used for paging).
    var chatPaneHeight: Int { max(1, height - 6) }

    mutating func scroll(by rows: Int) -> [Effect] {
        guard let key = selectedConversation, var view = conversations[key] else { return [] }
        // The person scrolls: a jump's message no longer pulls the pane back to it.
        view.revealSeq = nil
        let total = ChatPaneView.lineCount(of: view, state: self)
        view.scrollOffset = min(max(0, view.scrollOffset + rows), max(0, total - chatPaneHeight))
        var effects: [Effect] = []
        // Near the top of what is loaded: fetch the page before it, without waiting for it.
        if rows > 0, view.olderAvailable, !view.loadingOlder, let oldest = view.messages.first,
            view.scrollOffset + chatPaneHeight >= total - chatPaneHeight
        {
            view.loadingOlder = true
            effects.append(.loadHistory(conversation: key, beforeSeq: oldest.seq))
        }
        conversations[key] = view
        keepSelectionOnScreen()
        return effects
    }

    // MARK: Overlays

    mutating func overlayKey(_ key: Key) -> [Effect] {
        guard let overlay else { return [] }
        if key == .escape {
            self.overlay = nil
            // No to withdrawing a request: back to the requests it was asked from.
            if case .confirm(let confirmation) = overlay, case .cancelRequest(_, let panel) = confirmation.action {
                self.overlay = .requests(panel)
            }
            // A group's dialogs step back rather than close.
            if let back = groupOverlayAfterEscape(overlay) { self.overlay = back }
            // A theme previewed and not chosen is undone.
            if case .themes(let picker) = overlay, let original = picker.original,
                !themeNames.indices.contains(picker.selected) || themeNames[picker.selected] != original
            {
                return [.loadTheme(original)]
            }
            return []
        }
        switch overlay {
        case .help:
            let last = max(0, OverlayView.helpRows(self).count - OverlayView.helpVisibleRows(self))
            let page = max(1, OverlayView.helpVisibleRows(self) - 1)
            switch key {
            case .down, .character("j"): helpScroll = min(last, helpScroll + 1)
            case .up, .character("k"): helpScroll = max(0, helpScroll - 1)
            case .pageDown, .character(" "): helpScroll = min(last, helpScroll + page)
            case .pageUp: helpScroll = max(0, helpScroll - page)
            case .home: helpScroll = 0
            case .end: helpScroll = last
            default: self.overlay = nil
            }
            return []
        case .confirm(let confirmation):
            return confirmKey(key, confirmation)
        case .remark(var editor):
            if key == .enter {
                self.overlay = nil
                return [.setRemark(editor.friend, editor.remark.text.trimmingCharacters(in: .whitespaces))]
            }
            _ = editor.remark.handle(key)
            self.overlay = .remark(editor)
            return []
        case .themes(var picker):
            switch key {
            case .up, .character("k"): picker.selected = max(0, picker.selected - 1)
            case .down, .character("j"): picker.selected = min(max(0, themeNames.count - 1), picker.selected + 1)
            case .enter:
                self.overlay = nil
                guard themeNames.indices.contains(picker.selected) else { return [] }
                // Kept for the next start; loaded after, so a warning about the file shows last.
                let name = themeNames[picker.selected]
                return [.saveTheme(name), .loadTheme(name)]
            default: break
            }
            self.overlay = .themes(picker)
            // Preview as you move.
            if themeNames.indices.contains(picker.selected),
                key == .up || key == .down || key == .character("j") || key == .character("k")
            {
                return [.loadTheme(themeNames[picker.selected])]
            }
            return []
        case .requests(var panel):
            return requestsKey(key, &panel)
        case .search(var search):
            return searchKey(key, &search)
        case .findUser(var find):
            return findUserKey(key, &find)
        case .pickFriends(var picker):
            return friendPickerKey(key, &picker)
        case .groupInfo(var panel):
            return groupInfoKey(key, &panel)
        }
    }

    /// Only "y" confirms. Every other key, Enter included, answers no: a confirmation opened by
    /// accident must not be confirmed by the next key typed out of habit.
    mutating func confirmKey(_ key: Key, _ confirmation: Confirmation) -> [Effect] {
        switch key {
        case .character("y"), .character("Y"):
            overlay = nil
            switch confirmation.action {
            case .removeFriend(let user): return [.removeFriend(user)]
            case .block(let user): return [.setBlocked(user, true)]
            case .unblock(let user): return [.setBlocked(user, false)]
            // The drafts first: signing out ends the session that keeps them.
            case .signOut: return saveDraftsEffect + [.signOut]
            case .cancelRequest(let user, let panel):
                overlay = .requests(panel)
                return [.cancelFriendRequest(to: user)]
            case .leaveGroup(let group):
                return [.leaveGroup(group)]
            case .removeMember(let user, var panel):
                panel.busy = true
                overlay = .groupInfo(panel)
                return [.removeMember(user, from: panel.group)]
            case .transferOwnership(let user, var panel):
                panel.busy = true
                overlay = .groupInfo(panel)
                return [.transferOwnership(panel.group, to: user)]
            case .recall(let conversation, let seq):
                stopSelectingMessages()
                return [.recall(conversation, seq: seq)]
            }
        default:
            overlay = nil
            switch confirmation.action {
            case .cancelRequest(_, let panel): overlay = .requests(panel)
            case .removeMember(_, let panel), .transferOwnership(_, let panel): overlay = .groupInfo(panel)
            default: break
            }
            return []
        }
    }

    var requestRows: [(FriendRequest, incoming: Bool)] {
        (chat?.incomingRequests.map { ($0, true) } ?? []) + (chat?.outgoingRequests.map { ($0, false) } ?? [])
    }

    mutating func requestsKey(_ key: Key, _ panel: inout RequestsPanel) -> [Effect] {
        let rows = requestRows
        defer { if case .requests = overlay { overlay = .requests(panel) } }
        switch key {
        case .up, .character("k"): panel.selected = max(0, panel.selected - 1)
        case .down, .character("j"): panel.selected = min(max(0, rows.count - 1), panel.selected + 1)
        case .character("a"), .enter:
            guard rows.indices.contains(panel.selected), rows[panel.selected].incoming else { return [] }
            return [.respondToRequest(from: rows[panel.selected].0.from.id, accept: true)]
        case .character("r"), .character("d"):
            guard rows.indices.contains(panel.selected), rows[panel.selected].incoming else { return [] }
            return [.respondToRequest(from: rows[panel.selected].0.from.id, accept: false)]
        case .character("c"), .delete:
            // One of mine: withdrawn only after a "y" (the confirmation's default is no).
            guard rows.indices.contains(panel.selected), !rows[panel.selected].incoming else { return [] }
            let recipient = rows[panel.selected].0.to
            overlay = .confirm(
                Confirmation(
                    question: "Withdraw your friend request to \(recipient.username)?",
                    action: .cancelRequest(to: recipient.id, panel: panel)
                )
            )
        default: break
        }
        return []
    }

    mutating func searchKey(_ key: Key, _ search: inout MessageSearch) -> [Effect] {
        defer { if case .search = overlay { overlay = .search(search) } }
        switch key {
        case .up: search.selected = max(0, search.selected - 1)
        case .down: search.selected = min(max(0, search.results.count - 1), search.selected + 1)
        case .enter:
            // Enter takes the result on screen, even while a newer search is still running.
            if search.results.indices.contains(search.selected) {
                let message = search.results[search.selected]
                overlay = nil
                return jump(to: message, query: search.query.text)
            }
            search.searched = false
            return [.searchMessages(search.query.text, conversation: search.conversation)]
        default:
            _ = search.query.handle(key)
            // Search as you type: the cache answers in a millisecond.
            search.searched = false
            return search.query.text.trimmingCharacters(in: .whitespaces).isEmpty
                ? [] : [.searchMessages(search.query.text, conversation: search.conversation)]
        }
        return []
    }

    /// Opens the message's conversation with the message in view and highlighted. The pane
    /// shows one unbroken stretch of history up to the newest message, so the pages between are
    /// loaded, as scrolling back would load them (`revealHighlight`); once it only had the message
    /// merged in and stayed on the newest page.
    mutating func jump(to message: ChatMessage, query: String) -> [Effect] {
        guard let me else { return [] }
        let key = message.conversation(of: me.id)
        focus = .input
        let effects = select(key)
        conversations[key]?.highlightedMessageID = message.id
        conversations[key]?.highlightQuery = query
        conversations[key]?.firstUnreadSeq = nil
        conversations[key]?.revealSeq = message.seq
        return effects + revealHighlight(in: key)
    }

    mutating func findUserKey(_ key: Key, _ find: inout FindUser) -> [Effect] {
        defer { if case .findUser = overlay { overlay = .findUser(find) } }
        switch find.step {
        case .query:
            switch key {
            case .up: find.selected = max(0, find.selected - 1)
            case .down: find.selected = min(max(0, find.results.count - 1), find.selected + 1)
            case .alt("e"):
                // Whether others can find *me* by my email: asked where people look for others.
                return [.setFindableByEmail(!(chat?.findableByEmail ?? false))]
            case .enter:
                if find.searched, find.results.indices.contains(find.selected) {
                    let user = find.results[find.selected]
                    if chat?.friends[user.id] != nil {
                        showNotice("\(user.username) is already your friend.", .info)
                        return []
                    }
                    find.step = .greeting(user)
                    find.greeting.setText("Hi, I'm \(me?.username ?? "")!")
                    return []
                }
                let query = find.query.text.trimmingCharacters(in: .whitespaces)
                guard !query.isEmpty else { return [] }
                find.busy = true
                return [.findUsers(find.query.text)]
            default:
                _ = find.query.handle(key)
                find.searched = false
                find.results = []
            }
        case .greeting(let user):
            if key == .enter {
                overlay = nil
                return [.sendFriendRequest(to: user.id, message: find.greeting.text)]
            }
            _ = find.greeting.handle(key)
        }
        return []
    }
}
