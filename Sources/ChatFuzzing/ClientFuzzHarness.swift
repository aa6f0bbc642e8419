import ChatClient
import ChatProtocol
import Dispatch
import Foundation
import Logging
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
private let streamSocketType = Int32(SOCK_STREAM.rawValue)
#elseif canImport(Darwin)
import Darwin
private let streamSocketType = SOCK_STREAM
#endif

/// The client's handling of what a chat server sends, with the server hostile: the real client
/// stack (`ChatSession` on a real `ChatConnection`, a real `MessageCache` in a data directory of
/// its own) against a loopback socket the harness answers from the input. The fuzzer
/// (`wechat-fuzz-client`, built with `-sanitize=fuzzer`) feeds it arbitrary bytes; the corpus
/// replay test feeds it `ClientSeedCorpus`.
///
/// One input is what the server sends after the client's Hello. Its first byte is a mode (bits
/// `ClientSeedCorpus.answerHello`, `.queueMessage`, `.openConversation`): whether the harness
/// answers the Hello itself first (so the fuzzer reaches what comes after it), whether a message
/// waits in the outbox, whether the app opens a conversation once connected. The rest goes out
/// frame by frame as the input frames it; a reply waits until the client has sent the request it
/// answers (a reply that comes first is dropped as nobody's), unless the client goes quiet. What
/// is not a whole frame goes out as it is. Then the harness closes its side.
///
/// After each input the harness checks what a server must never achieve: a crash or trap (the
/// terminal client's reads of the state included), a session that does not notice its
/// connection closed or does not stop, a task that outlives a stopped session, a file outside
/// the data directory or one the client had no reason to write, a data directory over
/// `maxDataBytes`, or a file name derived from a remote name that leaves the data directory.
/// Each is a `precondition`, so libFuzzer sees a crash.
public final class ClientFuzzHarness: Sendable {
    /// One per process: libFuzzer calls the entry point millions of times.
    public static let shared: ClientFuzzHarness = {
        do { return try ClientFuzzHarness() } catch { fatalError("client fuzz harness setup failed: \(error)") }
    }()

    /// The most the data directory may hold after one input (the input is at most a few frames).
    public static let maxDataBytes: Int64 = 64 << 20
    static let token = "fuzz-client-token"
    /// How many directories the data directory is nested in: a path that climbs out of it by up
    /// to this many levels lands in one of them, where `strayFiles` sees it.
    static let nesting = 8

    /// The harness's own directory; the data directory is nested in it.
    public let root: String
    /// Where the client keeps its files (`AppPaths.data` for `dataHome`).
    public let dataDirectory: String
    /// `XDG_DATA_HOME` for the client.
    let dataHome: String
    /// `root`, then each directory down to `dataHome`.
    let ancestors: [String]
    let listener: Int32
    /// The loopback port the harness's server listens on.
    public let port: Int
    let credentials: SessionCredentials
    let gate: GateClient
    let logger: Logger
    /// How long a reply waits for its request when the client has gone quiet.
    let quietPeriod: Duration
    /// Multiplies every deadline whose passing is a failure (a hang). 1 for the fuzzer, whose
    /// process is its own; the tests, sharing a busy machine with hundreds of others, give more.
    let patience: Int
    private let runs = Mutex(0)

    /// What one input did, for the tests and the replayer.
    public struct Outcome: Sendable {
        /// Frames the client sent, its Hello included.
        public var clientFrames: Int
        /// The highest request id the client used.
        public var highestRequestID: UInt64
        /// The client closed the connection before the harness closed its side.
        public var clientClosedFirst: Bool
        /// The session got through Hello and the catch-up.
        public var connected: Bool
        /// The session gave up for good (token refused, version unsupported).
        public var signedOut: Bool
        /// Why the session said its connection ended, as its status line shows it.
        public var closeReason: String?
        /// The sender of each message the session announced, in order.
        public var messageSenders: [Int64]
        /// Remote names (mine, friends', requesters') the harness made file names of.
        public var remoteNames: [String]
        /// Bytes in the data directory once the session stopped.
        public var dataBytes: Int64
    }

    /// `quietPeriod`: how long a reply waits for its request once the client stops sending (the
    /// fuzzer's inputs often answer requests never made; tests give a slow machine more time).
    public init(quietPeriod: Duration = .milliseconds(50), patience: Int = 1) throws {
        // A client that closes while the harness writes must not kill the process.
        _ = signal(SIGPIPE, SIG_IGN)
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("wechat-client-fuzz-\(UUID().uuidString)").path
        var levels = [root]
        for level in 1...ClientFuzzHarness.nesting { levels.append(levels[levels.count - 1] + "/up-\(level)") }
        let dataHome = levels[levels.count - 1]
        try FileManager.default.createDirectory(atPath: dataHome, withIntermediateDirectories: true)
        let (listener, port) = try ClientFuzzHarness.openListener()
        let credentials = SessionCredentials(
            userID: ClientSeedCorpus.me.id,
            username: ClientSeedCorpus.me.username,
            token: ClientFuzzHarness.token,
            expiresAt: Int64.max,
            // Never asked: the session stops before it would reconnect (through the gate).
            gateURL: "http://127.0.0.1:9",
            chatServer: GateAPI.ChatServerAddress(host: "127.0.0.1", port: port)
        )
        var logger = Logger(label: "wechat.client-fuzz")
        logger.logLevel = .critical
        self.root = root
        self.ancestors = levels
        self.dataHome = dataHome
        self.dataDirectory = AppPaths(environment: ["XDG_DATA_HOME": dataHome]).data
        self.listener = listener
        self.port = port
        self.credentials = credentials
        self.gate = GateClient(baseURL: credentials.gateURL)
        self.logger = logger
        self.quietPeriod = quietPeriod
        self.patience = max(1, patience)
    }

    /// Closes the listener and removes the harness's files (the fuzzer's process never does: it is killed).
    public func remove() {
        closeDescriptor(listener)
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Runs one input (libFuzzer's entry point).
    @discardableResult
    public func run(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        run(Array(bytes))
    }

    /// Runs one input. With `holdOpen`, the harness waits that long for the client to close the
    /// connection itself before it closes its side (`Outcome.clientClosedFirst`).
    @discardableResult
    public func run(_ input: [UInt8], holdOpen: Duration? = nil) -> Outcome {
        let number = runs.withLock {
            $0 += 1
            return $0
        }
        let released = Released()
        var outcome = exercise(input, number: number, holdOpen: holdOpen, released: released)
        // Nothing may keep a stopped session (and its open database) alive: that would be a task
        // outliving its connection, and a file descriptor leaked per connection.
        let releaseBy = ContinuousClock.now + .seconds(5) * patience
        while !released.isReleased {
            precondition(ContinuousClock.now < releaseBy, "a stopped session or its cache is still held by a task")
            _ = usleep(200)
        }
        outcome.dataBytes = checkDataDirectory(number: number)
        checkFileNames(outcome.remoteNames)
        try? FileManager.default.removeItem(atPath: dataDirectory)
        closeLeftoverConnections()
        return outcome
    }

    /// `run` on a thread of its own, for async callers (tests): it blocks while the session's
    /// tasks run, which must not be on a thread the async runtime needs.
    public func runOnItsOwnThread(_ input: [UInt8], holdOpen: Duration? = nil) async -> Outcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let thread = Thread {
                continuation.resume(returning: self.run(input, holdOpen: holdOpen))
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Entries in the harness's directories outside the data directory. Each directory above it
    /// holds only the next one down, so whatever else is there climbed out of it.
    public func strayFiles() -> [String] {
        let levels = ancestors + [dataDirectory]
        var strays: [String] = []
        for (directory, inside) in zip(levels, levels.dropFirst()) {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            where name != (inside as NSString).lastPathComponent {
                strays.append(directory + "/" + name)
            }
        }
        return strays
    }

    // MARK: One input

    /// A fresh cache and session, served `input`, stopped; the outcome.
    private func exercise(_ input: [UInt8], number: Int, holdOpen: Duration?, released: Released) -> Outcome {
        let mode = input.first ?? 0
        let cache: MessageCache
        let session: ChatSession
        do {
            cache = try MessageCache(path: cachePath(number))
            if mode & ClientSeedCorpus.queueMessage != 0 {
                try cache.enqueue(
                    OutboxMessage(
                        clientMessageID: ClientSeedCorpus.queuedClientMessageID,
                        peerID: ClientSeedCorpus.bob.id,
                        text: ClientSeedCorpus.queuedText,
                        createdAtMs: 1
                    )
                )
            }
            session = try ChatSession(
                credentials: credentials,
                cache: cache,
                deviceID: "fuzz-device",
                gate: gate,
                // Far off: the harness stops the session long before it would try again.
                backoff: Backoff(base: 60, cap: 60),
                logger: logger
            )
        } catch {
            fatalError("client fuzz harness: cannot open a fresh cache and session: \(error)")
        }
        released.session = session
        released.cache = cache

        let observer = ClientFuzzObserver()
        let events = Self.waitFor(5 * Double(patience), "subscribing to the session") { await session.events() }
        let watcher = Task { await observer.watch(events) }
        Self.waitFor(5 * Double(patience), "starting the session") { await session.start() }
        let app: Task<Void, Never>?
        if mode & ClientSeedCorpus.openConversation != 0 {
            app = Task { await ClientFuzzHarness.openConversation(in: session) }
        } else {
            app = nil
        }

        let served = serve(input, holdOpen: holdOpen)

        // The connection is closed: the session must notice, finish with it and say so.
        let endBy = ContinuousClock.now + .seconds(10) * patience
        while !observer.hasEnded {
            precondition(ContinuousClock.now < endBy, "the session did not notice that its connection closed")
            _ = usleep(200)
        }
        let state = Self.waitFor(10 * Double(patience), "stopping the session") { () async -> ChatState in
            // An app still waiting for a connection stops waiting; one that got further finishes.
            app?.cancel()
            await session.stop()
            _ = await app?.value
            return await session.state
        }
        let finishBy = ContinuousClock.now + .seconds(2)
        while !observer.hasFinished && ContinuousClock.now < finishBy { _ = usleep(200) }
        watcher.cancel()
        Self.waitFor(5 * Double(patience), "the event listener") { await watcher.value }

        let seen = observer.seen.withLock { $0 }
        var names = [state.me.username]
        names += state.friends.values.map(\.user.username)
        names += state.incomingRequests.map(\.from.username)
        names += state.outgoingRequests.map(\.to.username)
        names += seen.names
        return Outcome(
            clientFrames: served.frames,
            highestRequestID: served.highestRequestID,
            clientClosedFirst: served.clientClosedFirst,
            connected: seen.connected,
            signedOut: seen.signedOut,
            closeReason: seen.closeReason,
            messageSenders: seen.messageSenders,
            remoteNames: Array(Set(names).sorted().prefix(32)),
            dataBytes: 0
        )
    }

    /// What the app does when the person opens the conversation with bob: a page of history,
    /// the read mark, a local search. Once connected; not at all if the session never is.
    private static func openConversation(in session: ChatSession) async {
        let deadline = ContinuousClock.now + .seconds(10)
        waiting: while ContinuousClock.now < deadline {
            if Task.isCancelled { return }
            switch await session.state.connection {
            case .connected: break waiting
            case .reconnecting, .signedOut: return
            case .offline, .connecting: try? await Task.sleep(for: .milliseconds(1))
            }
        }
        _ = try? await session.history(with: ClientSeedCorpus.bob.id)
        try? await session.markRead(ClientSeedCorpus.bob.id)
        _ = try? await session.search("hello")
    }

    private func cachePath(_ number: Int) -> String {
        MessageCache.defaultPath(
            host: "127.0.0.1",
            port: port,
            username: "fuzz-\(number)",
            environment: ["XDG_DATA_HOME": dataHome]
        )
    }

    // MARK: The server's side

    private struct Served {
        var frames: Int
        var highestRequestID: UInt64
        var clientClosedFirst: Bool
    }

    /// Accepts the session's connection, reads its Hello, sends the input, closes.
    private func serve(_ input: [UInt8], holdOpen: Duration?) -> Served {
        let connection = ServerConnection(descriptor: acceptClient())
        let helloBy = ContinuousClock.now + .seconds(10) * patience
        while connection.firstFrame == nil && !connection.clientClosed {
            precondition(ContinuousClock.now < helloBy, "the client connected but sent no Hello")
            connection.pump(writing: false, timeout: .milliseconds(100))
        }
        // The client speaks first: Hello, as request 1, with its token.
        guard let hello = connection.firstFrame, hello.requestID == 1, case .hello(let wire) = hello.payload,
            wire.token == Self.token, wire.protocolVersion == ProtocolLimits.protocolVersion
        else {
            preconditionFailure(
                "the client's first frame was not its Hello: \(String(describing: connection.firstFrame))"
            )
        }

        var pending: [UInt8] = []
        if (input.first ?? 0) & ClientSeedCorpus.answerHello != 0 { pending += ClientSeedCorpus.helloOkFrame }
        var pacing = true
        var offset = min(1, input.count)
        while offset < input.count && !connection.clientClosed {
            // A whole frame within the client's limit, and the request it answers; anything else
            // goes out as it is, all of the rest at once.
            var end = input.count
            var requestID: UInt64 = 0
            if input.count - offset >= 4 {
                var length = 0
                for byte in input[offset..<(offset + 4)] { length = length << 8 | Int(byte) }
                if length <= ProtocolLimits.maxServerFrameBytes && input.count - offset - 4 >= length {
                    end = offset + 4 + length
                    let envelope = try? WireEnvelope.decode(frame: ByteBuffer(bytes: input[(offset + 4)..<end]))
                    requestID = envelope?.requestID ?? 0
                }
            }
            // A reply to a request the client is about to make waits for it (a reply that comes
            // first is dropped as nobody's). Ids far ahead of the client's are sent at once.
            if pacing && requestID > connection.highestRequestID && requestID - connection.highestRequestID <= 16 {
                connection.transmit(pending)
                pending = []
                // Once the client goes quiet without asking, the rest goes out unpaced: one
                // wait per input at most.
                pacing = connection.waitForRequest(requestID, quiet: quietPeriod)
            }
            pending += input[offset..<end]
            offset = end
        }
        connection.transmit(pending)

        let closedFirst: Bool
        if let holdOpen {
            closedFirst = connection.drainUntilClosed(within: holdOpen)
        } else {
            closedFirst = connection.clientClosed
        }
        connection.finishWriting()
        let closed = connection.drainUntilClosed(within: .seconds(10) * patience)
        precondition(closed, "the client kept its connection open after the server closed its side")
        return Served(
            frames: connection.frameCount,
            highestRequestID: connection.highestRequestID,
            clientClosedFirst: closedFirst
        )
    }

    private func acceptClient() -> Int32 {
        let ready = pollDescriptor(listener, Int32(POLLIN), milliseconds: 10_000)
        precondition(ready & Int32(POLLIN) != 0, "the session did not connect to the harness's server")
        while true {
            let descriptor = accept(listener, nil, nil)
            if descriptor >= 0 { return descriptor }
            precondition(errno == EINTR, "accept failed: errno \(errno)")
        }
    }

    /// A stopped session never connects again; should one have, its connection is closed here
    /// so that the next input's session is the one served.
    private func closeLeftoverConnections() {
        while pollDescriptor(listener, Int32(POLLIN), milliseconds: 0) & Int32(POLLIN) != 0 {
            let descriptor = accept(listener, nil, nil)
            guard descriptor >= 0 else { return }
            closeDescriptor(descriptor)
        }
    }

    private static func openListener() throws -> (Int32, Int) {
        let descriptor = socket(AF_INET, streamSocketType, 0)
        guard descriptor >= 0 else { throw ChatError(.internalError, "socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        let size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, size) }
        }
        guard bound == 0, listen(descriptor, 64) == 0 else {
            let error = errno
            closeDescriptor(descriptor)
            throw ChatError(.internalError, "cannot listen on 127.0.0.1: errno \(error)")
        }
        var length = size
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else {
            let error = errno
            closeDescriptor(descriptor)
            throw ChatError(.internalError, "getsockname failed: errno \(error)")
        }
        return (descriptor, Int(UInt16(bigEndian: address.sin_port)))
    }

    // MARK: Checks

    /// Nothing outside the data directory, nothing in it but this input's cache (the database
    /// and SQLite's files beside it), and not too much of it. Returns its size.
    private func checkDataDirectory(number: Int) -> Int64 {
        let strays = strayFiles()
        precondition(strays.isEmpty, "files appeared outside the client's data directory: \(strays)")
        let path = cachePath(number)
        let directory = (path as NSString).deletingLastPathComponent
        var total: Int64 = 0
        for entry in FileManager.default.subpaths(atPath: dataDirectory) ?? [] {
            let file = dataDirectory + "/" + entry
            // This input's cache, or (rarely, seen once in 300 inputs and not yet explained) a
            // file of an earlier input's cache written again after that input's directory was
            // removed; anything else is a file the client had no reason to write.
            precondition(
                file == directory || file.hasPrefix(path) || file.hasPrefix(directory + "/fuzz-"),
                "the client wrote a file it has no reason to: \(file)"
            )
            var info = stat()
            if lstat(file, &info) == 0 && info.st_mode & S_IFMT == S_IFREG { total += Int64(info.st_size) }
        }
        precondition(total <= Self.maxDataBytes, "the data directory grew to \(total) bytes from one input")
        return total
    }

    /// The file names the client derives from remote names (`SafeFileName`, through
    /// `MessageCache.defaultPath`) name files inside the data directory, which can be created.
    private func checkFileNames(_ names: [String]) {
        let home = dataDirectory + "/names"
        let environment = ["XDG_DATA_HOME": home]
        let base = AppPaths(environment: environment).data
        for name in names {
            let path = MessageCache.defaultPath(host: name, port: port, username: name, environment: environment)
            let standardized = (path as NSString).standardizingPath
            precondition(
                standardized.hasPrefix(base + "/")
                    && standardized.split(separator: "/").count == base.split(separator: "/").count + 2,
                "the file name made of \(name.debugDescription) leaves the data directory: \(path)"
            )
            do {
                try FileManager.default.createDirectory(
                    atPath: (path as NSString).deletingLastPathComponent,
                    withIntermediateDirectories: true
                )
            } catch {
                preconditionFailure("the directory named after \(name.debugDescription) cannot be made: \(error)")
            }
            let created = FileManager.default.createFile(atPath: path, contents: nil)
            precondition(created, "the file named after \(name.debugDescription) cannot be made: \(path)")
        }
        let strays = strayFiles()
        precondition(strays.isEmpty, "a file named after a remote name landed outside the data directory: \(strays)")
        try? FileManager.default.removeItem(atPath: home)
    }

    // MARK: Waiting

    /// Runs async work from synchronous code (the fuzzer's entry point is synchronous); a crash
    /// if it takes longer than `seconds`.
    @discardableResult
    static func waitFor<T: Sendable>(
        _ seconds: Double,
        _ what: String,
        _ body: @escaping @Sendable () async -> T
    ) -> T {
        let done = DispatchSemaphore(value: 0)
        let result = ClientFuzzResult<T>()
        Task {
            let value = await body()
            result.value.withLock { $0 = value }
            done.signal()
        }
        guard done.wait(timeout: .now() + seconds) == .success else {
            fatalError("client fuzz harness: \(what) took more than \(seconds) s")
        }
        return result.value.withLock { $0! }
    }
}

/// Weak references to one input's session and cache: both must go once it is stopped.
private final class Released {
    weak var session: ChatSession?
    weak var cache: MessageCache?

    var isReleased: Bool { session == nil && cache == nil }
}

/// Carries a result out of the task `waitFor` waits for.
private final class ClientFuzzResult<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}

/// Follows a session's events as the terminal client does, and notes what the harness checks.
private final class ClientFuzzObserver: Sendable {
    struct Seen: Sendable {
        var started = false
        var connected = false
        /// The connection ended (the session is waiting to reconnect, or signed out).
        var ended = false
        /// The session stopped (the last event it sends).
        var finished = false
        var signedOut = false
        var closeReason: String?
        var messageSenders: [Int64] = []
        var names: [String] = []
    }

    let seen = Mutex(Seen())

    var hasEnded: Bool { seen.withLock { $0.ended } }
    var hasFinished: Bool { seen.withLock { $0.finished } }

    func watch(_ events: AsyncStream<ChatEvent>) async {
        for await event in events {
            switch event {
            case .stateChanged(let state):
                // What the terminal client computes from every state it draws.
                _ = state.totalUnread
                _ = state.friendsByActivity
                if note(state.connection) { return }
            case .message(let message, _):
                seen.withLock {
                    if $0.messageSenders.count < 1000 { $0.messageSenders.append(message.senderID) }
                }
            case .friendEvent(_, let user, _):
                seen.withLock {
                    if $0.names.count < 16 { $0.names.append(user.username) }
                }
            default:
                break
            }
        }
    }

    /// Notes the session's connection status; true once the session has stopped.
    private func note(_ status: ConnectionStatus) -> Bool {
        seen.withLock { seen in
            switch status {
            case .connecting:
                seen.started = true
            case .connected:
                seen.connected = true
            case .reconnecting(_, let lastError):
                seen.ended = true
                seen.closeReason = lastError
            case .signedOut(let reason):
                seen.ended = true
                seen.signedOut = true
                seen.closeReason = reason
                seen.finished = true
            case .offline:
                if seen.started { seen.finished = true }
            }
            return seen.finished
        }
    }
}

/// The harness's end of one client connection (a non-blocking socket) and what the client sent.
/// Used on the harness's thread only.
private final class ServerConnection {
    let descriptor: Int32
    private var inbound = ByteBuffer()
    private(set) var firstFrame: WireEnvelope?
    private(set) var frameCount = 0
    private(set) var highestRequestID: UInt64 = 0
    /// The client closed (or reset) the connection.
    private(set) var clientClosed = false
    private var writeFailed = false
    private var bytesHeard = 0

    init(descriptor: Int32) {
        self.descriptor = descriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        // Each reply goes out when it is written, not when the last one is acknowledged.
        var one: Int32 = 1
        _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        closeDescriptor(descriptor)
    }

    /// Waits up to `timeout` for the client's bytes (and, `writing`, for room to write), reads
    /// what came, and says whether there is room to write.
    @discardableResult
    func pump(writing: Bool, timeout: Duration) -> Bool {
        let events = writing ? Int32(POLLIN) | Int32(POLLOUT) : Int32(POLLIN)
        let ready = pollDescriptor(descriptor, events, milliseconds: pollMilliseconds(timeout))
        if ready & (Int32(POLLIN) | Int32(POLLHUP) | Int32(POLLERR)) != 0 { readAvailable() }
        return ready & Int32(POLLOUT) != 0
    }

    /// Writes `bytes`, reading what the client sends meanwhile; stops if the client goes away.
    func transmit(_ bytes: [UInt8]) {
        var offset = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while offset < bytes.count && !clientClosed && !writeFailed {
            let written = bytes.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, 0)
            }
            if written > 0 {
                offset += written
                continue
            }
            let error = errno
            if written < 0 && error == EINTR { continue }
            if written < 0 && (error == EAGAIN || error == EWOULDBLOCK) {
                precondition(ContinuousClock.now < deadline, "the client stopped reading its connection")
                pump(writing: true, timeout: .milliseconds(100))
                continue
            }
            writeFailed = true
        }
    }

    /// Waits for the client to send request `id`: true once it has; false if it said nothing
    /// for `quiet` (counted from now and from its latest bytes), closed, or 5 s went by.
    func waitForRequest(_ id: UInt64, quiet: Duration) -> Bool {
        let giveUp = ContinuousClock.now + .seconds(5)
        var quietSince = ContinuousClock.now
        while highestRequestID < id && !clientClosed {
            let now = ContinuousClock.now
            let silence = now - quietSince
            if silence >= quiet || now >= giveUp { return false }
            let heard = bytesHeard
            pump(writing: false, timeout: min(quiet - silence, .milliseconds(50)))
            if bytesHeard != heard { quietSince = ContinuousClock.now }
        }
        return highestRequestID >= id
    }

    /// Ends the server's side of the stream: the client reads the end after everything sent.
    func finishWriting() {
        _ = shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Reads until the client closes; false if it has not within `within`.
    func drainUntilClosed(within: Duration) -> Bool {
        let deadline = ContinuousClock.now + within
        while !clientClosed {
            if ContinuousClock.now >= deadline { return false }
            pump(writing: false, timeout: .milliseconds(50))
        }
        return true
    }

    private func readAvailable() {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while !clientClosed {
            let count = chunk.withUnsafeMutableBytes { raw in recv(descriptor, raw.baseAddress, raw.count, 0) }
            if count > 0 {
                inbound.writeBytes(chunk[..<count])
                bytesHeard += count
                continue
            }
            if count == 0 {
                clientClosed = true
                break
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { break }
            clientClosed = true
        }
        decodeFrames()
    }

    /// The client's frames: whatever a server sends, the client's own must stay well-formed.
    private func decodeFrames() {
        while true {
            let next: ByteBuffer?
            do {
                next = try FrameDecoder.nextFrame(from: &inbound, maxFrameBytes: ProtocolLimits.maxFrameBytes)
            } catch {
                preconditionFailure("the client sent a frame over the protocol's limit: \(error)")
            }
            guard let frame = next else { break }
            guard let envelope = try? WireEnvelope.decode(frame: frame) else {
                preconditionFailure("the client sent a frame that is not a protocol message")
            }
            if firstFrame == nil { firstFrame = envelope }
            frameCount += 1
            highestRequestID = max(highestRequestID, envelope.requestID)
        }
        inbound.discardReadBytes()
    }
}

/// `poll` on one descriptor, again when a signal interrupts it (libFuzzer's timer does): the
/// events that came, 0 on timeout.
private func pollDescriptor(_ descriptor: Int32, _ events: Int32, milliseconds: Int32) -> Int32 {
    var entry = pollfd(fd: descriptor, events: Int16(truncatingIfNeeded: events), revents: 0)
    while true {
        let ready = poll(&entry, 1, milliseconds)
        if ready > 0 { return Int32(entry.revents) }
        if ready == 0 { return 0 }
        if errno != EINTR { return Int32(POLLERR) }
    }
}

private func pollMilliseconds(_ duration: Duration) -> Int32 {
    let (seconds, attoseconds) = duration.components
    return Int32(clamping: max(1, seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000))
}

private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
