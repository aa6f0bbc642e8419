import ChatProtocol
import Foundation
import Logging
import NIOSSL

/// The signed-in user's live session: keeps a `ChatState` from the cache and the chat server,
/// stays connected (reconnecting with backoff and jitter on its token), replays what it missed,
/// and sends typed messages from a durable outbox in order.
///
/// Its parts, one file each:
/// - the connection loop (here): connect, Hello, catch up, then serve until the connection
///   ends, and again after a `ReconnectSchedule` delay. While connected, the work of one
///   connection (pushes, heartbeat, outbox) runs as child tasks of one task group, so it all
///   ends with the connection: no task outlives what it worked on.
/// - sync (`ChatSession+Sync`): friends, conversations, and the update log (read marks, mutes,
///   group changes) applied through a `SyncCursor`, in order, once each.
/// - messages (`ChatSession+Positions`): not in the update log; each conversation's position
///   (`ConversationPositions`), a friend's or a group's, is caught up after connecting and kept
///   by its pushes and acks.
/// - the outbox (`ChatSession+Outbox`): typed messages, sent in order, kept until acknowledged.
/// - the request API (`ChatSession+Requests`): friends, history, search, read marks.
/// - groups (`ChatSession+Groups`): making and changing them, and their listing.
/// - message actions (`ChatSession+MessageActions`): recall, mute, typing, read receipts.
///
/// Delivery: every message goes to the outbox first, and leaves it only when the server's ack
/// (sent after the durable commit) comes back; resends carry the same client message id, so the
/// server stores each message once however often it is sent.
public actor ChatSession {
    public nonisolated let credentials: SessionCredentials
    public nonisolated let cache: MessageCache
    public nonisolated let deviceID: String
    public internal(set) var state: ChatState

    let gate: GateClient
    private let tls: ClientTLS
    private var tlsContext: NIOSSLContext?
    let logger: Logger
    private var schedule: ReconnectSchedule
    /// The connection being served, once Hello has been sent on it.
    var connection: ChatConnection?
    private var runTask: Task<Void, Never>?
    private var subscribers: [UUID: AsyncStream<ChatEvent>.Continuation] = [:]
    var cursor: SyncCursor
    /// Wakes the connection's outbox worker: a message was typed or a read mark made.
    var outboxWake: AsyncStream<Void>.Continuation?
    /// Conversations read here whose read mark the server has not confirmed yet.
    var pendingReadMarks: Set<ConversationKey> = []
    /// How far this device has each conversation's history, a friend's or a group's (mirrors
    /// the cache's).
    var positions: ConversationPositions
    /// This device finished catching up at least once: from then on a conversation at position
    /// 0 is fetched from its start, not from its newest page (`ChatSession+Positions`).
    var caughtUpOnce: Bool
    /// A group listing is running; `groupListAgain`: something asked for another meanwhile.
    var listingGroups = false
    var groupListAgain = false
    /// An update said my groups changed (joined, left, removed): list them once it is applied.
    var groupListStale = false
    /// A catch-up applied a line that changes a group (renamed, new owner, members): the groups
    /// are listed again once it is over.
    var groupChangedInCatchUp = false
    /// Messages an update carried (a log written before protocol 3): received as pushes once
    /// applied.
    var messagesOutOfLog: [ChatMessage] = []
    /// The heartbeat's checks of my groups' and my one-to-one conversations' seq sums.
    var groupSumCheck = SeqSumCheck()
    var directSumCheck = SeqSumCheck()
    /// When this device last told each conversation I am typing (ms), to say it at most once
    /// every `ProtocolLimits.typingRepeatSeconds`.
    var typingSent: [ConversationKey: Int64] = [:]
    /// Publishes the state again when the earliest typing entry lapses, so the UI clears it.
    var typingLapse: (at: Int64, task: Task<Void, Never>)?
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
        self.schedule = ReconnectSchedule(backoff: backoff)
        self.logger = logger
        self.cursor = SyncCursor(position: try cache.syncCursor())
        // Start from the cache: the UI has something to show before the network answers.
        var state = ChatState(me: UserSummary(id: credentials.userID, username: credentials.username))
        for friend in try cache.friends() { state.friends[friend.user.id] = friend }
        for conversation in try cache.conversations() { state.conversations[conversation.peerID] = conversation }
        for group in try cache.groups() { state.groups[group.group.id] = group }
        state.outbox = try cache.outbox()
        self.state = state
        self.positions = ConversationPositions(try cache.positions())
        self.caughtUpOnce = try cache.caughtUpOnce()
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
        // Called synchronously by the stream, outside the actor: the hop back is a task.
        continuation.onTermination = { _ in Task { await self.unsubscribe(id) } }
        return stream
    }

    private func unsubscribe(_ id: UUID) {
        subscribers.removeValue(forKey: id)
    }

    /// Waits until connected and caught up (tests and scripts use it).
    public func waitUntilConnected() async {
        if state.connection.isConnected && !cursor.isPulling { return }
        await withCheckedContinuation { connectedWaiters.append($0) }
    }

    func resumeWaiters() {
        for waiter in connectedWaiters { waiter.resume() }
        connectedWaiters.removeAll()
    }

    // MARK: The connection loop

    private func run() async {
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
                    // The handler is synchronous and the connection an actor: the close is a task.
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
            let delay = schedule.delay(afterConnectionLasted: connectedAt.map { Date().timeIntervalSince($0) })
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

    /// Says hello, catches up, then serves the connection until it closes. Its pushes, its
    /// heartbeat and its outbox are child tasks of one group: when the connection ends (its
    /// pushes stop), the others are cancelled and awaited before this returns.
    private func serve(
        _ connection: ChatConnection,
        address: GateAPI.ChatServerAddress,
        connected: () -> Void
    ) async throws {
        var hello = WireHello()
        hello.protocolVersion = ProtocolLimits.protocolVersion
        hello.token = credentials.token
        hello.deviceID = deviceID
        hello.syncCursor = cursor.position
        guard
            case .helloOk(let ok) = try await connection.request(
                .hello(hello),
                timeout: Double(ProtocolLimits.helloTimeoutSeconds)
            )
        else {
            throw ChatError(.malformedFrame, "The server did not answer Hello.")
        }
        state.me = UserSummary(ok.me)
        state.findableByEmail = ok.findableByEmail
        state.sendsReadReceipts = ok.sendsReadReceipts
        let cursorBefore = cursor.position
        if cursor.serverLog(endsAt: ok.latestUpdateID) {
            // The server has fewer updates than this cache applied: its data was reset. Start over.
            logger.warning(
                "server update log is behind this cache; resyncing from the start",
                metadata: ["cursor": "\(cursorBefore)", "server": "\(ok.latestUpdateID)"]
            )
        }
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await Self.heartbeat(connection, every: Double(max(1, ok.heartbeatSeconds))) { previous, current in
                    await self.pullIfStillBehind(previous.latestUpdateID)
                    await self.listGroupsIfBehind(previous: previous.groupSeqSum, current: current.groupSeqSum)
                    await self.listConversationsIfBehind(previous: previous.directSeqSum, current: current.directSeqSum)
                }
            }
            group.addTask {
                for await push in connection.pushes { await self.handle(push) }
            }
            do {
                try await catchUpAfterConnecting()
            } catch {
                await connection.close()
                throw error
            }
            connected()
            setConnection(.connected(server: "\(address.host):\(address.port)"))
            logger.info(
                "connected",
                metadata: ["server": "\(address.host):\(address.port)", "cursor": "\(cursor.position)"]
            )
            resumeWaiters()
            outboxWake = wake
            wake.yield()
            group.addTask { await self.runOutbox(on: connection, wakes: wakes) }
            // The pushes end when the connection does; then the rest are stopped.
            try await group.next()
            outboxWake = nil
            wake.finish()
            group.cancelAll()
        }
    }

    /// Pings every `interval`. A server that vanished without closing (cable pulled, machine
    /// gone) never answers: the connection is closed and the loop reconnects. Each answer says
    /// where the user's update log ends and the sums of their conversations' last seqs (friends',
    /// groups'): `answered` gets the previous answer, which every push sent before it should have
    /// brought by now, and this one.
    private static func heartbeat(
        _ connection: ChatConnection,
        every interval: Double,
        answered: @escaping @Sendable (_ previous: WirePong, _ current: WirePong) async -> Void
    ) async {
        // What an answer calls for (a pull, listings, catch-ups) runs beside the pings, not in
        // their way: requests have no timeout of their own, so a server that stops answering
        // midway would otherwise stop the very pings that notice it (and close the connection,
        // which fails those requests).
        await withTaskGroup(of: Void.self) { followUps in
            var previous: WirePong?
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                guard !Task.isCancelled else { break }
                guard let pong = await connection.ping(timeout: interval * 2) else {
                    await connection.close()
                    break
                }
                if let previous { followUps.addTask { await answered(previous, pong) } }
                previous = pong
            }
        }
    }

    // MARK: Publishing

    func setConnection(_ status: ConnectionStatus) {
        guard state.connection != status else { return }
        state.connection = status
        publishState()
    }

    /// Publishes the state, without the typing entries that have lapsed.
    func publishState() {
        dropLapsedTyping()
        publish(.stateChanged(state))
    }

    func publish(_ event: ChatEvent) {
        for subscriber in subscribers.values { subscriber.yield(event) }
    }
}
