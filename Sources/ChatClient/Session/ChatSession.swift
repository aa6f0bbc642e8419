import ChatProtocol
import Foundation
import Logging
import NIOSSL

/// The signed-in user's live session: keeps a `ChatState` from the cache and the chat server,
/// stays connected (reconnecting with backoff and jitter on its token), replays what it missed,
/// and sends typed messages from a durable outbox in order.
///
/// Delivery: every message goes to the outbox first, and leaves it only when the server's ack
/// (sent after the durable commit) comes back; resends carry the same client message id, so the
/// server stores each message once however often it is sent.
public actor ChatSession {
    public nonisolated let credentials: SessionCredentials
    public nonisolated let cache: MessageCache
    public nonisolated let deviceID: String
    public private(set) var state: ChatState

    private let gate: GateClient
    private let tls: ClientTLS
    private var tlsContext: NIOSSLContext?
    private let logger: Logger
    private let backoff: Backoff
    private var connection: ChatConnection?
    private var runTask: Task<Void, Never>?
    private var subscribers: [UUID: AsyncStream<ChatEvent>.Continuation] = [:]
    private var cursor: UInt64
    private var syncing = false
    private var resyncNeeded = false
    private var flushingOutbox = false
    /// Conversations read here whose read mark the server has not confirmed yet.
    private var pendingReadMarks: Set<UserID> = []
    private var connectedWaiters: [CheckedContinuation<Void, Never>] = []

    public init(
        credentials: SessionCredentials,
        cache: MessageCache,
        deviceID: String = UUID().uuidString,
        gate: GateClient? = nil,
        tls: ClientTLS? = nil,
        backoff: Backoff = Backoff(),
        logger: Logger = Logger(label: "wechat.session")
    ) throws {
        self.credentials = credentials
        self.cache = cache
        self.deviceID = deviceID
        let tls = tls ?? gate?.tls ?? ClientTLS()
        self.tls = tls
        self.gate = gate ?? GateClient(baseURL: credentials.gateURL, tls: tls)
        self.backoff = backoff
        self.logger = logger
        self.cursor = try cache.syncCursor()
        // Start from the cache: the UI has something to show before the network answers.
        var state = ChatState(me: UserSummary(id: credentials.userID, username: credentials.username))
        for friend in try cache.friends() { state.friends[friend.user.id] = friend }
        for conversation in try cache.conversations() { state.conversations[conversation.peerID] = conversation }
        state.outbox = try cache.outbox()
        self.state = state
    }

    /// Signs in with a password and opens the cache for that account and server.
    public static func signIn(
        gateURL: String,
        account: String,
        password: String,
        deviceID: String = UUID().uuidString,
        cachePath: String? = nil,
        tls: ClientTLS = ClientTLS(),
        logger: Logger = Logger(label: "wechat.session")
    ) async throws -> ChatSession {
        let gate = GateClient(baseURL: gateURL, tls: tls)
        let login = try await gate.login(account: account, password: password)
        let credentials = SessionCredentials(login: login, gateURL: gateURL)
        // Keyed by the gate's address: the chat server a login lands on varies, the account's cache must not.
        let gateAddress = URLComponents(string: gateURL)
        let path =
            cachePath
            ?? MessageCache.defaultPath(
                host: gateAddress?.host ?? "localhost",
                port: gateAddress?.port ?? 80,
                username: login.username
            )
        return try ChatSession(
            credentials: credentials,
            cache: try MessageCache(path: path),
            deviceID: deviceID,
            gate: gate,
            logger: logger
        )
    }

    // MARK: Lifecycle

    /// Starts connecting (and reconnecting, for as long as the session runs).
    public func start() {
        guard runTask == nil else { return }
        runTask = Task { await self.run() }
    }

    /// Disconnects and stops reconnecting. The cache and outbox stay for next time.
    public func stop() async {
        runTask?.cancel()
        await connection?.close()
        await runTask?.value
        runTask = nil
        connection = nil
        if case .signedOut = state.connection {} else { setConnection(.offline) }
    }

    /// Revokes the token at the gate and stops.
    public func signOut() async throws {
        await stop()
        try await gate.logout(token: credentials.token)
        setConnection(.signedOut(reason: "Signed out."))
    }

    /// A stream of events from now on, starting with the current state.
    public func events() -> AsyncStream<ChatEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: ChatEvent.self)
        let id = UUID()
        subscribers[id] = continuation
        continuation.yield(.stateChanged(state))
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: UUID) {
        subscribers.removeValue(forKey: id)
    }

    /// Waits until connected and caught up (tests and scripts use it).
    public func waitUntilConnected() async {
        if state.connection.isConnected && !syncing { return }
        await withCheckedContinuation { connectedWaiters.append($0) }
    }

    private func run() async {
        var attempt = 0
        var address = credentials.chatServer
        var first = true
        var lastError: ChatError?
        while !Task.isCancelled {
            setConnection(.connecting)
            var connectedAt: Date?
            do {
                if !first {
                    // Ask the gate where to go: the old chat server may be gone, and this also
                    // finds out at once if the token was revoked. If the gate itself is down,
                    // try the last chat server anyway.
                    do {
                        address = try await gate.chatServer(token: credentials.token).chatServer
                    } catch let error as ChatError where error.code == .unavailable {
                        logger.debug("gate unreachable; trying the last chat server")
                    }
                }
                first = false
                let connection = try await ChatConnection.connect(
                    host: address.host,
                    port: address.port,
                    tls: address.tls ? try tlsContextForChat() : nil,
                    logger: logger
                )
                self.connection = connection
                // stop() cancels this task: close the connection so serve() returns.
                try await withTaskCancellationHandler {
                    guard !Task.isCancelled else { return }
                    try await serve(connection, address: address) { connectedAt = Date() }
                } onCancel: {
                    Task { await connection.close() }
                }
                lastError = await connection.closeReason
                if let lastError, [.invalidToken, .unsupportedVersion].contains(lastError.code) {
                    throw lastError
                }
            } catch let error as ChatError where [.invalidToken, .unsupportedVersion].contains(error.code) {
                logger.info("session refused for good", metadata: ["reason": "\(error.message)"])
                await connection?.close()
                connection = nil
                setConnection(.signedOut(reason: error.message))
                resumeWaiters()
                return
            } catch {
                lastError = error as? ChatError
                logger.debug("connection attempt failed", metadata: ["error": "\(error)"])
            }
            await connection?.close()
            connection = nil
            if Task.isCancelled { break }
            // A connection that lived a while starts the backoff afresh; one that dropped at once
            // (a server that accepts and closes) keeps backing off instead of spinning.
            if let connectedAt, Date().timeIntervalSince(connectedAt) > 10 { attempt = 0 }
            let delay = backoff.delay(attempt: attempt)
            attempt += 1
            setConnection(
                .reconnecting(at: Date().addingTimeInterval(delay), lastError: lastError?.message ?? "Disconnected.")
            )
            try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        }
        resumeWaiters()
    }

    private func tlsContextForChat() throws -> NIOSSLContext {
        if let tlsContext { return tlsContext }
        let context = try tls.makeContext()
        tlsContext = context
        return context
    }

    private func resumeWaiters() {
        for waiter in connectedWaiters { waiter.resume() }
        connectedWaiters.removeAll()
    }

    /// Says hello, catches up, then handles pushes until the connection closes.
    private func serve(
        _ connection: ChatConnection,
        address: GateAPI.ChatServerAddress,
        connected: () -> Void
    ) async throws {
        var hello = WireHello()
        hello.protocolVersion = ProtocolLimits.protocolVersion
        hello.token = credentials.token
        hello.deviceID = deviceID
        hello.syncCursor = cursor
        guard
            case .helloOk(let ok) = try await connection.request(
                .hello(hello),
                timeout: Double(ProtocolLimits.helloTimeoutSeconds)
            )
        else {
            throw ChatError(.malformedFrame, "The server did not answer Hello.")
        }
        state.me = UserSummary(ok.me)
        if ok.latestUpdateID < cursor {
            // The server has fewer updates than this cache applied: its data was reset. Start over.
            logger.warning(
                "server update log is behind this cache; resyncing from the start",
                metadata: ["cursor": "\(cursor)", "server": "\(ok.latestUpdateID)"]
            )
            cursor = 0
        }
        let heartbeat = Task { [weak connection] in
            let interval = Double(max(1, ok.heartbeatSeconds))
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                guard let connection, !Task.isCancelled else { return }
                // A server that vanished without closing (cable pulled, machine gone) never
                // answers: give up on the connection and let the reconnect loop take over.
                if !(await connection.ping(timeout: interval * 2)) {
                    await connection.close()
                    return
                }
            }
        }
        defer { heartbeat.cancel() }
        let pushes = Task {
            for await push in connection.pushes {
                await self.handle(push)
            }
        }
        defer { pushes.cancel() }

        syncing = true
        do {
            try await refreshSocial()
            try await refreshConversations()
            try await catchUp()
        } catch {
            syncing = false
            await connection.close()
            throw error
        }
        syncing = false
        connected()
        setConnection(.connected(server: "\(address.host):\(address.port)"))
        logger.info("connected", metadata: ["server": "\(address.host):\(address.port)", "cursor": "\(cursor)"])
        resumeWaiters()
        Task { await self.flushOutbox() }
        Task { await self.sendPendingReadMarks() }
        await pushes.value
    }

    // MARK: Sync

    /// Pulls every update after the cursor, page by page.
    private func catchUp() async throws {
        guard let connection else { return }
        repeat {
            resyncNeeded = false
            var more = true
            while more {
                var request = WireSync()
                request.afterUpdateID = cursor
                request.limit = ProtocolLimits.maxPageSize
                guard case .syncReply(let reply) = try await connection.request(.sync(request)) else { return }
                try apply(reply.updates)
                more = reply.moreAvailable
            }
        } while resyncNeeded
    }

    /// Applies updates in id order; ones already applied are skipped, so pushes and sync pages
    /// may overlap freely. A gap stops the run and asks for a pull.
    /// `live`: the updates arrived as pushes (new now), not replayed by a sync.
    private func apply(_ updates: [WireUpdate], live: Bool = false) throws {
        var messages: [ChatMessage] = []
        var marks: [(peer: UserID, seq: UInt64)] = []
        var newCursor = cursor
        for update in updates.sorted(by: { $0.updateID < $1.updateID }) {
            guard update.updateID > newCursor else { continue }
            guard update.updateID == newCursor + 1 else {
                resyncNeeded = true
                break
            }
            switch update.kind {
            case .message(let wire):
                messages.append(ChatMessage(wire))
            case .read(let mark):
                marks.append((mark.peerID, mark.seq))
            case nil:
                break
            }
            newCursor = update.updateID
        }
        guard newCursor > cursor else { return }
        try cache.apply(messages: messages, readMarks: marks, me: state.me.id, cursor: newCursor)
        cursor = newCursor
        for message in messages { noteMessage(message) }
        for mark in marks {
            state.conversations[mark.peer, default: Conversation(peerID: mark.peer)].readSeq =
                max(state.conversations[mark.peer]?.readSeq ?? 0, mark.seq)
        }
        publishState()
        for message in messages { publish(.message(message, live: live)) }
    }

    private func noteMessage(_ message: ChatMessage) {
        let peer = message.peer(of: state.me.id)
        var conversation = state.conversations[peer] ?? Conversation(peerID: peer)
        if message.seq > conversation.lastSeq {
            conversation.lastSeq = message.seq
            conversation.lastMessage = message
        }
        if message.senderID == state.me.id {
            conversation.readSeq = max(conversation.readSeq, message.seq)
            state.outbox.removeAll { $0.clientMessageID == message.clientMessageID }
        }
        state.conversations[peer] = conversation
    }

    private func handle(_ push: WireEnvelope) async {
        switch push.payload {
        case .updatePush(let update):
            if update.update.updateID > cursor + 1 || syncing {
                // A gap (or a pull already running): let the pull repair it.
                resyncNeeded = true
                if !syncing { await pull() }
            } else {
                do { try apply([update.update], live: true) } catch {
                    logger.error("cache write failed", metadata: ["error": "\(error)"])
                }
            }
        case .presencePush(let presence):
            if state.friends[presence.userID] != nil {
                state.friends[presence.userID]?.online = presence.online
                publishState()
            }
        case .friendEvent(let event):
            publish(.friendEvent(event.kind, UserSummary(event.user), message: event.message))
            try? await refreshSocial()
        case .goodbye(let goodbye):
            logger.info("server said goodbye", metadata: ["reason": "\(goodbye.reason)"])
        default:
            break
        }
    }

    private func pull() async {
        guard !syncing else { return }
        syncing = true
        defer { syncing = false }
        do { try await catchUp() } catch { logger.debug("pull failed", metadata: ["error": "\(error)"]) }
        if state.connection.isConnected { resumeWaiters() }
    }

    private func refreshSocial() async throws {
        guard let connection else { return }
        guard case .friendList(let list) = try await connection.request(.listFriends(WireListFriends())),
            case .friendRequestList(let requests) = try await connection.request(
                .listFriendRequests(WireListFriendRequests())
            )
        else { return }
        let friends = list.friends.map { wire in
            Friend(
                user: UserSummary(wire.user),
                remark: wire.remark,
                online: wire.online,
                blockedByMe: wire.blockedByMe,
                sinceMs: wire.sinceMs
            )
        }
        try cache.replaceFriends(friends)
        state.friends = Dictionary(uniqueKeysWithValues: friends.map { ($0.user.id, $0) })
        let convert = { (wire: WireFriendRequest) in
            FriendRequest(
                from: UserSummary(wire.from),
                to: UserSummary(wire.to),
                message: wire.message,
                createdAtMs: wire.createdAtMs
            )
        }
        state.incomingRequests = requests.incoming.map(convert)
        state.outgoingRequests = requests.outgoing.map(convert)
        try cache.saveUsers(state.incomingRequests.map(\.from) + state.outgoingRequests.map(\.to))
        publishState()
    }

    private func refreshConversations() async throws {
        guard let connection,
            case .conversationList(let list) = try await connection.request(.listConversations(WireListConversations()))
        else { return }
        let conversations = list.conversations.map { wire in
            Conversation(
                peerID: wire.peerID,
                lastMessage: wire.hasLastMessage ? ChatMessage(wire.lastMessage) : nil,
                lastSeq: wire.lastSeq,
                readSeq: wire.readSeq
            )
        }
        try cache.mergeConversations(conversations, me: state.me.id)
        for conversation in try cache.conversations() {
            state.conversations[conversation.peerID] = conversation
        }
        publishState()
    }

    // MARK: Sending

    /// Queues a message: it is in the outbox (and on screen) at once, and sent as soon as the
    /// session is connected. Returns the queued message.
    @discardableResult
    public func send(_ text: String, to peer: UserID) throws -> OutboxMessage {
        try AccountRules.validateText(text)
        guard !text.allSatisfy(\.isWhitespace) else { throw ChatError(.invalidText, "A message cannot be empty.") }
        let message = OutboxMessage(
            clientMessageID: UUID().uuidString.lowercased(),
            peerID: peer,
            text: text,
            createdAtMs: Int64(Date().timeIntervalSince1970 * 1000)
        )
        try cache.enqueue(message)
        state.outbox.append(message)
        publishState()
        Task { await self.flushOutbox() }
        return message
    }

    /// Sends the outbox in order, one ack at a time. A message the server refuses for good
    /// (not friends, blocked, invalid) is dropped and reported; a lost connection leaves the rest
    /// for the next connect.
    private func flushOutbox() async {
        guard !flushingOutbox, state.connection.isConnected, let connection else { return }
        flushingOutbox = true
        defer { flushingOutbox = false }
        while let next = state.outbox.first {
            var request = WireSendMessage()
            request.toUserID = next.peerID
            request.clientMsgID = next.clientMessageID
            request.text = next.text
            do {
                guard case .messageAck(let ack) = try await connection.request(.sendMessage(request)) else { return }
                let message = ChatMessage(ack.message)
                try cache.apply(messages: [message], me: state.me.id)
                noteMessage(message)
                publishState()
            } catch let error as ChatError
                where [.notFriends, .blocked, .invalidText, .payloadTooLarge, .badRequest, .notFound].contains(
                    error.code
                )
            {
                // Refused for good: report it and go on with the rest, never block behind it.
                try? cache.dropFromOutbox(clientMessageID: next.clientMessageID)
                state.outbox.removeAll { $0.clientMessageID == next.clientMessageID }
                publishState()
                publish(.error(error))
            } catch {
                // Transient (connection lost, server busy, sending too fast): try again shortly,
                // or on reconnect.
                let pause = (error as? ChatError)?.code == .rateLimited ? 1.0 : 2.0
                Task {
                    try? await Task.sleep(for: .seconds(pause))
                    await self.flushOutbox()
                }
                return
            }
        }
    }

    // MARK: Requests

    private func request(_ payload: WireEnvelope.OneOf_Payload) async throws -> WireEnvelope.OneOf_Payload {
        guard let connection, state.connection.isConnected || syncing else {
            throw ChatError(.unavailable, "Not connected to the server.")
        }
        return try await connection.request(payload)
    }

    public func searchUsers(_ query: String, limit: UInt32 = 20) async throws -> [UserSummary] {
        var search = WireSearchUsers()
        search.query = query
        search.limit = limit
        guard case .userList(let list) = try await request(.searchUsers(search)) else { return [] }
        return list.users.map(UserSummary.init)
    }

    public func sendFriendRequest(to user: UserID, message: String) async throws {
        var wire = WireSendFriendRequest()
        wire.toUserID = user
        wire.message = message
        _ = try await request(.sendFriendRequest(wire))
        try await refreshSocial()
    }

    public func respondToFriendRequest(from user: UserID, accept: Bool) async throws {
        var wire = WireRespondFriendRequest()
        wire.fromUserID = user
        wire.accept = accept
        _ = try await request(.respondFriendRequest(wire))
        try await refreshSocial()
    }

    public func removeFriend(_ user: UserID) async throws {
        var wire = WireRemoveFriend()
        wire.userID = user
        _ = try await request(.removeFriend(wire))
        try await refreshSocial()
    }

    public func setBlocked(_ user: UserID, _ blocked: Bool) async throws {
        var wire = WireSetBlocked()
        wire.userID = user
        wire.blocked = blocked
        _ = try await request(.setBlocked(wire))
        try await refreshSocial()
    }

    public func setRemark(_ remark: String, for user: UserID) async throws {
        var wire = WireSetRemark()
        wire.userID = user
        wire.remark = remark
        _ = try await request(.setRemark(wire))
        try await refreshSocial()
    }

    /// Marks the conversation read up to its newest message (here and on my other devices).
    /// Offline, the mark is kept and sent once connected, so other devices learn of it too.
    public func markRead(_ peer: UserID) async throws {
        guard var conversation = state.conversations[peer], conversation.unread > 0 else { return }
        conversation.readSeq = conversation.lastSeq
        state.conversations[peer] = conversation
        try cache.setReadSeq(conversation.lastSeq, peer: peer)
        publishState()
        pendingReadMarks.insert(peer)
        await sendPendingReadMarks()
    }

    private func sendPendingReadMarks() async {
        guard state.connection.isConnected, let connection else { return }
        for peer in pendingReadMarks {
            guard let seq = state.conversations[peer]?.readSeq else { continue }
            var wire = WireMarkRead()
            wire.peerID = peer
            wire.seq = seq
            do {
                _ = try await connection.request(.markRead(wire))
                pendingReadMarks.remove(peer)
            } catch {
                return
            }
        }
    }

    /// A page of history, newest first: from the cache when it holds the whole page without
    /// holes, otherwise from the server (and then kept in the cache).
    public func history(with peer: UserID, beforeSeq: UInt64 = 0, limit: Int = 50) async throws -> [ChatMessage] {
        let cached = try cache.history(peer: peer, beforeSeq: beforeSeq, limit: limit)
        let newest = beforeSeq == 0 ? (state.conversations[peer]?.lastSeq ?? 0) : beforeSeq - 1
        // A complete page runs newest, newest-1, … down to either `limit` messages or seq 1.
        let complete =
            cached.enumerated().allSatisfy { $0.element.seq == newest - UInt64($0.offset) }
            && (cached.count == limit || cached.last?.seq == 1 || newest == 0)
        if complete || !state.connection.isConnected { return cached }
        var wire = WireFetchHistory()
        wire.peerID = peer
        wire.beforeSeq = beforeSeq
        wire.limit = UInt32(limit)
        guard case .messageList(let list) = try await request(.fetchHistory(wire)) else { return cached }
        let messages = list.messages.map(ChatMessage.init)
        try cache.apply(messages: messages, me: state.me.id)
        return messages
    }

    /// Full-text search of the local cache, newest first.
    public func search(_ text: String, limit: Int = 100) throws -> [ChatMessage] {
        try cache.search(text, limit: limit)
    }

    // MARK: Publishing

    private func setConnection(_ status: ConnectionStatus) {
        guard state.connection != status else { return }
        state.connection = status
        publishState()
    }

    private func publishState() {
        publish(.stateChanged(state))
    }

    private func publish(_ event: ChatEvent) {
        for subscriber in subscribers.values { subscriber.yield(event) }
    }
}
