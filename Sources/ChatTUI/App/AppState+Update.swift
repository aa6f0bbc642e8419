import ChatClient
import ChatProtocol
import Foundation

extension AppState {
    /// The one place state changes: applies an action, returns the work it asks for.
    public mutating func apply(_ action: Action) -> [Effect] {
        switch action {
        case .key(let key):
            // The user is here: the conversation opened for them is theirs now, read as shown.
            let settled = autoSelected != nil && screen == .main ? markSelectedReadIfWriting() : []
            autoSelected = nil
            return settled + handleKey(key)
        case .resized(let width, let height):
            self.width = width
            self.height = height
            return []
        case .tick(let date):
            now = date
            if let notice, notice.expires < date { self.notice = nil }
            return []
        case .session(let event):
            return handleSession(event)
        case .signedIn(let result):
            signIn.busy = false
            switch result {
            case .success(let credentials):
                signIn.password.clear()
                signIn.error = nil
                // The gate that answered, which with several gates may not be the first.
                serverURL = credentials.gateURL
                screen = .main
            case .failure(let error):
                signIn.error = error.message
            }
            return []
        case .codeSent(let purpose, let result):
            switch (purpose, result) {
            case (.register, .success(let email)):
                register.info = "A code is on its way to \(email)."
                register.error = nil
                register.focus = 2
            case (.register, .failure(let error)):
                register.error = error.message
            case (.reset, .success(let email)):
                reset.info = "If \(email) has an account, a code is on its way."
                reset.error = nil
                reset.focus = 1
            case (.reset, .failure(let error)):
                reset.error = error.message
            }
            register.busy = false
            reset.busy = false
            return []
        case .registered(let result):
            register.busy = false
            switch result {
            case .success:
                let username = register.username.text
                register = RegisterForm()
                signIn.account.setText(username)
                signIn.busy = true
                screen = .signIn
                showNotice("Welcome! Press \(keyBindings.keyName(for: .findPeople)) to find your friends.", .success)
            case .failure(let error):
                register.error = error.message
                // Taken after all (between the check and the submit): the field says so too.
                if error.code == .usernameTaken { register.usernamesTaken.insert(register.username.text) }
            }
            return []
        case .usernameChecked(let name, let result):
            usernameChecked(name, result)
            return []
        case .passwordReset(let result):
            reset.busy = false
            switch result {
            case .success:
                let email = reset.email.text
                reset = ResetForm()
                screen = .signIn
                signIn.account.setText(email)
                // The old password, if one was typed, is no use any more.
                signIn.password.clear()
                signIn.focus = 1
                signIn.error = nil
                signIn.info = "Password changed. Sign in with the new one."
            case .failure(let error):
                reset.error = error.message
            }
            return []
        case .signedOut:
            chat = nil
            conversations = [:]
            selectedConversation = nil
            autoSelected = nil
            overlay = nil
            screen = .signIn
            forgetDrafts()
            return []
        case .historyLoaded(let key, let beforeSeq, let result):
            var view = conversations[key] ?? ConversationView()
            // The newest page (0) is not the older page waited for, which may still be on its way.
            if beforeSeq != 0 { view.loadingOlder = false }
            switch result {
            case .success(let messages):
                // A short page is not the end (the server caps pages by bytes); seq 1 or nothing is.
                if messages.isEmpty || messages.last?.seq == 1 { view.olderAvailable = false }
                view.merge(messages)
            case .failure(let error):
                showNotice(error.message, .error)
                // A jump to a search result stops here, rather than asking for the same page
                // again at once, and again, while the failure lasts.
                view.revealSeq = nil
            }
            conversations[key] = view
            return key == selectedConversation ? revealHighlight(in: key) : []
        case .searchResults(let query, let conversation, let results, let total):
            if case .search(var search) = overlay, search.query.text == query, search.conversation == conversation {
                search.results = Array(results.prefix(MessageSearch.shownLimit))
                search.total = max(total, search.results.count)
                search.selected = 0
                search.searched = true
                overlay = .search(search)
            }
            return []
        case .usersFound(let query, let result):
            if case .findUser(var find) = overlay, find.query.text == query {
                find.busy = false
                find.searched = true
                switch result {
                case .success(let users):
                    find.results = users.filter { $0.id != me?.id }
                    find.selected = 0
                case .failure(let error):
                    showNotice(error.message, .error)
                }
                overlay = .findUser(find)
            }
            return []
        case .finished(let result):
            switch result {
            case .success(let message) where !message.isEmpty: showNotice(message, .success)
            case .success: break
            case .failure(let error): showNotice(error.message, .error)
            }
            return []
        case .devMail(let email, let code):
            guard codesAskedFor.contains(AccountRules.normalizedEmail(email)) else { return [] }
            devMail.append(DevMailEntry(email: email, code: code))
            if devMail.count > 5 { devMail.removeFirst(devMail.count - 5) }
            showNotice("📬 Code for \(email): \(code)", .info, seconds: 60)
            return []
        case .themeLoaded(let theme, let warning):
            self.theme = theme
            if let warning { showNotice(warning, .error, seconds: 8) }
            return []
        case .draftsLoaded(let kept):
            restoreDrafts(kept)
            return []
        case .composed(let conversation, let result):
            switch result {
            case .success(let text):
                // Back as the draft, not sent: Enter sends it once it has been looked over.
                if let conversation, conversation != selectedConversation {
                    drafts[conversation] = text.isEmpty ? nil : text
                } else {
                    input.setText(text)
                }
                showNotice(text.isEmpty ? "The editor left the message empty." : "Edited. Enter sends it.", .info)
            case .failure(let error):
                showNotice(error.message, .error, seconds: 8)
            }
            return []
        case .groupCreated(let result):
            return groupCreated(result)
        case .groupChanged(let group, let result):
            return groupChanged(group, result)
        }
    }

    mutating func showNotice(_ text: String, _ kind: Notice.Kind, seconds: Double = 4) {
        notice = Notice(text: text, kind: kind, expires: now.addingTimeInterval(seconds))
    }

    // MARK: Session events

    mutating func handleSession(_ event: ChatEvent) -> [Effect] {
        switch event {
        case .stateChanged(let state):
            let first = chat == nil
            chat = state
            if case .signedOut(let reason) = state.connection, screen == .main {
                // Kept in the account's cache for its next sign-in, then off the screen.
                let kept = saveDraftsEffect
                forgetDrafts()
                chat = nil
                conversations = [:]
                selectedConversation = nil
                autoSelected = nil
                overlay = nil
                screen = .signIn
                signIn.error = reason
                return kept
            }
            // A friend removed takes their conversation off the screen. A group stays: one just
            // made may be opened before the state that holds it arrives, and one left keeps
            // its history.
            let friendGone = selectedPeer.map { state.friends[$0] == nil } ?? false
            let following = autoSelected != nil && autoSelected == selectedConversation && input.text.isEmpty
            if selectedConversation == nil || friendGone || following {
                guard let top = visibleConversations.first else {
                    selectedConversation = nil
                    autoSelected = nil
                    return []
                }
                let settled = state.connection.isConnected
                autoSelected = settled ? nil : top.key
                if top.key != selectedConversation {
                    let effects = select(top.key)
                    return settled ? effects : effects.filter(\.answeredWithoutTheServer)
                }
                let history: [Effect] = first ? [.loadHistory(conversation: top.key, beforeSeq: 0)] : []
                // Settled on the one already open: now it is read, and a group's members come.
                return history + (settled ? markSelectedReadIfWriting() + membersForThePane() : [])
            }
            if first, let selectedConversation {
                return [.loadHistory(conversation: selectedConversation, beforeSeq: 0)]
            }
            return []
        case .message(let message, let live):
            guard let me else { return [] }
            let key = message.conversation(of: me.id)
            if let before = conversations[key] {
                conversations[key]?.merge([message])
                keepSelectedMessageInPlace(in: key, before: before)
            }
            var effects: [Effect] = []
            if key == selectedConversation, autoSelected == nil, message.senderID != me.id, focus == .input {
                effects.append(.markRead(key))
            }
            if live && message.senderID != me.id && key != selectedConversation && rings(message, in: key) {
                effects.append(.bell)
                effects.append(notification(of: message, in: key))
            }
            return effects
        case .friendEvent(let kind, let user, let greeting):
            switch kind {
            case .requestReceived:
                showNotice(
                    "\(user.username) wants to be your friend\(greeting.isEmpty ? "" : ": “\(greeting)”") — Ctrl-R",
                    .info,
                    seconds: 8
                )
                return [.bell]
            case .requestAccepted:
                showNotice("You and \(user.username) are now friends.", .success)
            case .requestRejected:
                showNotice("\(user.username) declined your friend request.", .info)
            case .friendRemoved:
                showNotice("\(user.username) removed you as a friend.", .info)
            default:
                break
            }
            return []
        case .error(let error):
            showNotice(error.message, .error)
            return []
        case .messageRefused(let conversation, let text, let error):
            restore(text, to: conversation)
            let name = displayName(of: conversation)
            // What happened to the text first: a narrow status bar cuts the end of a notice.
            let kept = conversation == selectedConversation ? "Kept in the input" : "Kept as \(name)'s draft"
            showNotice("\(kept), not sent to \(name): \(error.message)", .error, seconds: 8)
            return conversation == selectedConversation ? [] : saveDraftsEffect
        case .messageRecalled(let conversation, let seq):
            // The loaded copy follows the cache's: its text is gone.
            markRecalled(seq, in: conversation)
            return []
        }
    }

    /// Whether a message that arrives now rings the bell and notifies: only what people write
    /// (not a group's system lines), only what arrives live (a catch-up after a night away is
    /// not fifty bells), and in a muted conversation only when it mentions me.
    func rings(_ message: ChatMessage, in conversation: ConversationKey) -> Bool {
        guard message.kind == .text, let me else { return false }
        return !isMuted(conversation) || message.mentions(me.id)
    }

    /// The desktop notification for a message: the friend's name, or the group's with the
    /// sender before the text.
    func notification(of message: ChatMessage, in conversation: ConversationKey) -> Effect {
        guard let group = conversation.groupID else {
            return .notify(title: chat?.friends[message.senderID]?.displayName ?? "Someone", body: message.text)
        }
        let sender = memberName(message.senderID, in: group)
        return .notify(title: displayName(of: conversation), body: "\(sender): \(message.text)")
    }

    /// Gives refused text back: into the input if that chat is open and nothing new is typed,
    /// otherwise into the chat's draft (before what is there), so no typing is lost.
    mutating func restore(_ text: String, to conversation: ConversationKey) {
        if conversation == selectedConversation {
            input.setText(input.text.isEmpty ? text : text + "\n" + input.text)
        } else {
            drafts[conversation] = drafts[conversation].map { text + "\n" + $0 } ?? text
        }
    }

    /// Opens a conversation: shows what is loaded, loads the newest page, and marks it read if
    /// the input has the focus. Moving through the friend list only previews: skimming the list
    /// must not clear every unread badge. The mark comes when focus returns to the input.
    mutating func select(_ key: ConversationKey) -> [Effect] {
        // What was typed to the one left is kept on disk too, as soon as it becomes a draft.
        let switched = selectedConversation != nil && key != selectedConversation
        if key != selectedConversation {
            if let previous = selectedConversation { drafts[previous] = input.text.isEmpty ? nil : input.text }
            input.setText(drafts.removeValue(forKey: key) ?? "")
        }
        selectedConversation = key
        var view = conversations[key] ?? ConversationView()
        view.scrollOffset = 0
        view.highlightedMessageID = nil
        view.highlightQuery = nil
        view.revealSeq = nil
        view.firstUnreadSeq = unreadCount(of: key) > 0 ? readSeq(of: key) + 1 : nil
        conversations[key] = view
        return [.loadHistory(conversation: key, beforeSeq: 0)] + markSelectedReadIfWriting()
            + membersForThePane() + (switched ? saveDraftsEffect : [])
    }

    /// How far I have read the conversation.
    func readSeq(of conversation: ConversationKey) -> UInt64 {
        if let user = conversation.userID { return chat?.conversations[user]?.readSeq ?? 0 }
        if let group = conversation.groupID { return chat?.groups[group]?.readSeq ?? 0 }
        return 0
    }

    /// Marks the open conversation read, if it has unread messages and the input has the focus
    /// (the person is in the conversation, not skimming the friend list).
    func markSelectedReadIfWriting() -> [Effect] {
        guard focus == .input, let key = selectedConversation, unreadCount(of: key) > 0 else { return [] }
        return [.markRead(key)]
    }
}
