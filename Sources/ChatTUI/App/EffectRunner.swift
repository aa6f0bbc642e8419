import ChatClient
import ChatProtocol
import Foundation
import Logging

/// Does the network and disk work the update asks for, off the UI thread, and answers with
/// actions. Sends run one after another, in order; everything else runs concurrently.
public actor EffectRunner {
    private let queue: ActionQueue
    private let gate: GateClient
    private let saved: SavedSession
    private let logger: Logger
    private var session: ChatSession?
    private var subscription: Task<Void, Never>?
    private let effects: AsyncStream<Effect>
    private let effectsContinuation: AsyncStream<Effect>.Continuation

    public init(serverURLs: [String], tls: ClientTLS = ClientTLS(), queue: ActionQueue, logger: Logger) {
        self.queue = queue
        // Fail fast: a person waiting on "Working…" should hear within seconds that the server
        // does not answer, not after the request's whole deadline of connection retries.
        self.gate = GateClient(baseURLs: serverURLs, tls: tls, http: GateClient.failFastHTTP)
        // Saved under the first gate: the same whichever gate answers.
        self.saved = SavedSession(serverURL: serverURLs[0])
        self.logger = logger
        (effects, effectsContinuation) = AsyncStream.makeStream(of: Effect.self)
    }

    /// Queues an effect; the runner's loop picks it up in order.
    public nonisolated func submit(_ effect: Effect) {
        effectsContinuation.yield(effect)
    }

    /// Processes effects until the stream ends.
    public func run() async {
        for await effect in effects {
            switch effect {
            case .send, .saveDrafts:
                // In order, and done before `run` returns: the drafts saved at quit are kept.
                await perform(effect)
            default:
                Task { await self.perform(effect) }
            }
        }
    }

    /// Opens the saved session, if there is one, straight from the cache (no network needed).
    public func resumeSavedSession() -> Bool {
        guard let credentials = saved.load() else { return false }
        do {
            try open(credentials)
            return true
        } catch {
            logger.error("could not open the saved session", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// Ends the effect stream: `run()` returns once it has done what was already queued (a
    /// message sent just before quitting still reaches the outbox).
    public nonisolated func finish() {
        effectsContinuation.finish()
    }

    /// Disconnects the session (its outbox stays on disk for next time).
    public func stopSession() async {
        await session?.stop()
        subscription?.cancel()
    }

    static func chatError(_ error: Error) -> ChatError {
        (error as? ChatError) ?? ChatError(.internalError, "Something went wrong: \(error)")
    }

    private func open(_ credentials: SessionCredentials) throws {
        let cache = try MessageCache(path: saved.cachePath(username: credentials.username))
        let session = try ChatSession(credentials: credentials, cache: cache, gate: gate, logger: logger)
        self.session = session
        let queue = queue
        do {
            // The cache keys a conversation by `ConversationKey.rawValue`, as it keys the outbox.
            let kept = try cache.drafts().map { (ConversationKey(rawValue: $0), $1) }
            queue.post(.draftsLoaded(Dictionary(uniqueKeysWithValues: kept)))
        } catch {
            logger.error("could not read the drafts", metadata: ["error": "\(error)"])
        }
        subscription?.cancel()
        let saved = saved
        subscription = Task {
            for await event in await session.events() {
                // A refused token is dead for good: forget it so the next start asks for the password.
                if case .stateChanged(let state) = event, case .signedOut = state.connection { saved.delete() }
                queue.post(.session(event))
            }
        }
        Task { await session.start() }
    }

    private func signIn(account: String, password: String) async throws -> SessionCredentials {
        let login = try await gate.login(account: account, password: password)
        let credentials = SessionCredentials(login: login, gateURL: gate.baseURL)
        do { try saved.save(credentials) } catch {
            logger.warning("could not save the session token", metadata: ["error": "\(error)"])
        }
        try open(credentials)
        return credentials
    }

    /// A change to a group, answered as `.groupChanged` with `done` or the error. A change to
    /// who is in it, or who owns it, loads its members again for the pane and the panel.
    private func changeGroup(
        _ group: GroupID,
        _ done: String,
        reload: Bool = true,
        _ change: @Sendable (ChatSession) async throws -> Void
    ) async {
        do {
            guard let session else { throw ChatError(.unavailable, "Not signed in.") }
            try await change(session)
            queue.post(.groupChanged(group, .success(done)))
            if reload { try? await session.loadGroup(group) }
        } catch {
            queue.post(.groupChanged(group, .failure(Self.chatError(error))))
        }
    }

    private func perform(_ effect: Effect) async {
        do {
            switch effect {
            case .signIn(let account, let password):
                do {
                    queue.post(.signedIn(.success(try await signIn(account: account, password: password))))
                } catch {
                    queue.post(.signedIn(.failure(Self.chatError(error))))
                }
            case .requestCode(let email, let purpose):
                do {
                    try await gate.requestCode(email: email, purpose: purpose)
                    queue.post(.codeSent(purpose, .success(email)))
                } catch {
                    queue.post(.codeSent(purpose, .failure(Self.chatError(error))))
                }
            case .register(let username, let email, let password, let code):
                do {
                    _ = try await gate.register(username: username, email: email, password: password, code: code)
                } catch {
                    queue.post(.registered(.failure(Self.chatError(error))))
                    return
                }
                // The account exists now: a failed sign-in is reported as such, not as a failed sign-up.
                queue.post(.registered(.success(())))
                do {
                    queue.post(.signedIn(.success(try await signIn(account: username, password: password))))
                } catch {
                    queue.post(.signedIn(.failure(Self.chatError(error))))
                }
            case .resetPassword(let email, let code, let newPassword):
                do {
                    try await gate.resetPassword(email: email, code: code, newPassword: newPassword)
                    queue.post(.passwordReset(.success(email)))
                } catch {
                    queue.post(.passwordReset(.failure(Self.chatError(error))))
                }
            case .checkUsername(let username):
                do {
                    let answer = try await gate.usernameAvailability(username)
                    queue.post(.usernameChecked(username: username, .success(answer.available)))
                } catch {
                    queue.post(.usernameChecked(username: username, .failure(Self.chatError(error))))
                }
            case .signOut:
                let session = self.session
                self.session = nil
                subscription?.cancel()
                saved.delete()
                // The screen changes at once; revoking the token at the gate may take a moment.
                queue.post(.signedOut)
                try? await session?.signOut()
            case .send(let text, let conversation, let mentions, let mentionsAll, let replyTo):
                do {
                    _ = try await session?.send(
                        text,
                        to: conversation,
                        mentions: mentions,
                        mentionsAll: mentionsAll,
                        replyTo: replyTo
                    )
                } catch let error as ChatError {
                    // Refused before it reached the outbox (too long, empty): the text goes back.
                    queue.post(.session(.messageRefused(conversation: conversation, text: text, error)))
                }
            case .markRead(let conversation):
                try await session?.markRead(conversation)
            case .loadHistory(let conversation, let beforeSeq):
                do {
                    guard let session else { throw ChatError(.unavailable, "Not signed in.") }
                    let page = try await session.history(of: conversation, beforeSeq: beforeSeq, limit: 50)
                    queue.post(.historyLoaded(conversation: conversation, beforeSeq: beforeSeq, .success(page)))
                } catch {
                    let failure = Self.chatError(error)
                    queue.post(.historyLoaded(conversation: conversation, beforeSeq: beforeSeq, .failure(failure)))
                }
            case .searchMessages(let query, let conversation):
                guard let session else { return }
                let limit = MessageSearch.shownLimit
                let results = (try? await session.search(query, conversation: conversation, limit: limit)) ?? []
                // Counted only when the list is full: a shorter list is its own count.
                let total =
                    results.count < limit
                    ? results.count
                    : ((try? await session.searchCount(query, conversation: conversation)) ?? results.count)
                queue.post(.searchResults(query: query, conversation: conversation, results, total: total))
            case .findUsers(let query):
                do {
                    guard let session else { throw ChatError(.unavailable, "Not signed in.") }
                    queue.post(.usersFound(query: query, .success(try await session.searchUsers(query))))
                } catch {
                    queue.post(.usersFound(query: query, .failure(Self.chatError(error))))
                }
            case .setFindableByEmail(let findable):
                try await session?.setFindableByEmail(findable)
                queue.post(
                    .finished(
                        .success(
                            findable
                                ? "Others can now find you by your email."
                                : "Others can no longer find you by your email."
                        )
                    )
                )
            case .sendFriendRequest(let user, let message):
                try await session?.sendFriendRequest(to: user, message: message)
                queue.post(.finished(.success("Friend request sent.")))
            case .respondToRequest(let user, let accept):
                try await session?.respondToFriendRequest(from: user, accept: accept)
                queue.post(.finished(.success(accept ? "Accepted." : "Declined.")))
            case .cancelFriendRequest(let user):
                try await session?.cancelFriendRequest(to: user)
                queue.post(.finished(.success("Request withdrawn.")))
            case .removeFriend(let user):
                try await session?.removeFriend(user)
                queue.post(.finished(.success("Removed.")))
            case .setBlocked(let user, let blocked):
                try await session?.setBlocked(user, blocked)
                queue.post(.finished(.success(blocked ? "Blocked." : "Unblocked.")))
            case .setRemark(let user, let remark):
                try await session?.setRemark(remark, for: user)
                queue.post(.finished(.success(remark.isEmpty ? "Remark cleared." : "Remark saved.")))
            case .exportConversation(let conversation, let fileStem, let names):
                guard let session else { throw ChatError(.unavailable, "Not signed in.") }
                let export = try await ConversationExport.export(
                    fileStem: fileStem,
                    names: names,
                    directory: ConversationExport.directory()
                ) { beforeSeq in
                    try await session.history(
                        of: conversation,
                        beforeSeq: beforeSeq,
                        limit: ConversationExport.pageSize
                    )
                }
                // The file's name first: a narrow status bar cuts the end.
                let file = (export.path as NSString).lastPathComponent
                let folder = ConversationExport.shortened((export.path as NSString).deletingLastPathComponent)
                queue.post(.finished(.success("Exported to \(file) in \(folder) (\(export.count) messages)")))
            case .saveDrafts(let drafts):
                try session?.cache.replaceDrafts(Dictionary(uniqueKeysWithValues: drafts.map { ($0.rawValue, $1) }))
            case .setMuted(let conversation, let muted):
                try await session?.setMuted(muted, conversation)
                queue.post(.finished(.success(muted ? "Muted: only mentions of you ring." : "Unmuted.")))
            case .setSendsReadReceipts(let enabled):
                try await session?.setSendsReadReceipts(enabled)
                queue.post(
                    .finished(
                        .success(
                            enabled
                                ? "Read receipts on: friends see ✓✓ when you have read, and you theirs."
                                : "Read receipts off: friends no longer see when you have read, nor you theirs."
                        )
                    )
                )
            case .createGroup(let name, let members):
                do {
                    guard let session else { throw ChatError(.unavailable, "Not signed in.") }
                    queue.post(.groupCreated(.success(try await session.createGroup(name: name, members: members))))
                } catch {
                    queue.post(.groupCreated(.failure(Self.chatError(error))))
                }
            case .loadGroup(let group):
                try await session?.loadGroup(group)
            case .invite(let users, let group):
                await changeGroup(group, users.count == 1 ? "Invited." : "Invited \(users.count) friends.") {
                    try await $0.invite(users, to: group)
                }
            case .leaveGroup(let group):
                await changeGroup(group, "You left the group.", reload: false) { try await $0.leaveGroup(group) }
            case .removeMember(let user, let group):
                await changeGroup(group, "Removed.") { try await $0.removeMember(user, from: group) }
            case .renameGroup(let group, let name):
                await changeGroup(group, "Renamed.", reload: false) { try await $0.renameGroup(group, to: name) }
            case .setAnnouncement(let group, let text):
                await changeGroup(group, text.isEmpty ? "Announcement cleared." : "Announcement set.", reload: false) {
                    try await $0.setAnnouncement(text, of: group)
                }
            case .transferOwnership(let group, let user):
                await changeGroup(group, "You handed the group over.") {
                    try await $0.transferOwnership(of: group, to: user)
                }
            case .recall(let conversation, let seq):
                // The recall line comes back through the session like any message; the ack says
                // nothing more.
                try await session?.recall(seq: seq, in: conversation)
            case .sendTyping(let conversation):
                await session?.sendTyping(in: conversation)
            case .readCount(let group, let seq):
                guard let session else { throw ChatError(.unavailable, "Not signed in.") }
                let count = try await session.readCount(of: group, seq: seq)
                queue.post(.finished(.success("Read by \(count.read) of \(count.members).")))
            case .loadTheme, .saveTheme, .bell, .notify, .composeInEditor, .copyToClipboard:
                break  // The UI thread does these itself.
            }
        } catch let error as ChatError {
            queue.post(.finished(.failure(error)))
        } catch {
            logger.error("effect failed", metadata: ["error": "\(error)"])
            queue.post(.finished(.failure(ChatError(.internalError, "Something went wrong: \(error)"))))
        }
    }
}
