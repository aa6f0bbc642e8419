import ChatProtocol
import ChatServer
import ChatServices
import Foundation
import GateServer
import Logging
import NIOCore
import NIOSSL
import SMTPMail
import SQLiteStores
import ServiceLifecycle
import Synchronization

/// Every service in one process on the embedded SQLite store: what `wechat-server` and
/// `wechat --serve` run. Each piece is reached only through its protocol, so splitting the stack
/// across processes later swaps implementations here and nowhere else.
public final class ServerStack: Service {
    public let configuration: ServerStackConfiguration
    public let mailbox: DevMailbox
    public let chatServers: [ChatServer]
    /// The status service every part shares (tests look at presence and load through it).
    public let status: any StatusService
    let gate: GateServer
    let logger: Logger
    let database: SQLiteDatabase
    /// Deletes the oldest update-log entries now and then (tests call `compactNow()`).
    public let updateLogCompactor: UpdateLogCompactor
    private let readiness = Readiness()

    public init(configuration: ServerStackConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        try Self.prepare(dataDirectory: configuration.dataDirectory)
        let tls = try configuration.tls.map(Self.loadTLS)

        let database = try SQLiteDatabase(
            path: configuration.databasePath,
            writerCacheMiB: configuration.databaseCacheMiB,
            logger: logger
        )
        self.database = database
        let users = SQLiteUserStore(database: database)
        let sessions = SQLiteSessionStore(database: database)
        let social = SQLiteSocialStore(database: database)
        let messages = SQLiteMessageStore(database: database)
        updateLogCompactor = UpdateLogCompactor(
            messages: messages,
            configuration: configuration.updateLog,
            logger: logger.named("chat")
        )

        let mailbox = DevMailbox(directory: configuration.dataDirectory, logger: logger.named("verify"))
        self.mailbox = mailbox
        let clock = configuration.clock
        let mail: any MailSender =
            try configuration.smtp.map { try SMTPMailSender($0, logger: logger.named("mail")) } ?? mailbox
        let verify = InProcessVerifyService(mail: mail, clock: clock, logger: logger.named("verify"))
        let status = InProcessStatusService(
            sessions: sessions,
            tokenLifetimeSeconds: configuration.tokenLifetimeSeconds,
            clock: clock,
            logger: logger.named("status")
        )
        self.status = status
        let router = InProcessPushRouter(status: status)
        let limiter = InProcessRateLimiter(clock: clock)

        let dependencies = ChatServer.Dependencies(
            users: users,
            social: social,
            messages: messages,
            groups: SQLiteGroupStore(database: database),
            status: status,
            router: router,
            limiter: limiter,
            clock: clock
        )
        let readiness = readiness
        let count = max(1, configuration.chatServers)
        let descriptors = FileDescriptorBudget.raiseLimit()
        let caps = FileDescriptorBudget.fit(
            chatPerServer: configuration.maxConnections,
            chatServers: count,
            gate: configuration.gateLimits.maxConnections,
            limit: descriptors
        )
        if caps.chatPerServer != configuration.maxConnections {
            logger.notice(
                "connection caps lowered to fit the open-file limit",
                metadata: [
                    "openFileLimit": "\(descriptors)", "chatPerServer": "\(caps.chatPerServer)", "gate": "\(caps.gate)",
                    "reserved": "\(FileDescriptorBudget.reserve)",
                ]
            )
        }
        var gateLimits = configuration.gateLimits
        gateLimits.maxConnections = caps.gate
        let chatServers = (0..<count).map { index in
            let port = configuration.chatPort == 0 ? 0 : configuration.chatPort + index
            var chatConfiguration = ChatServer.Configuration(
                id: "chat-\(index + 1)",
                host: configuration.host,
                port: port
            )
            chatConfiguration.idleTimeout = .seconds(configuration.idleTimeoutSeconds)
            chatConfiguration.helloTimeout = .seconds(configuration.helloTimeoutSeconds)
            chatConfiguration.maxConnections = caps.chatPerServer
            chatConfiguration.limits = configuration.limits
            chatConfiguration.advertisedHost = configuration.advertisedChatHost
            chatConfiguration.advertisedPort = configuration.advertisedChatPort.map { $0 + index }
            chatConfiguration.tls = tls?.context
            return ChatServer(
                configuration: chatConfiguration,
                dependencies: dependencies,
                logger: logger.named("chat"),
                onListening: { port in readiness.chatListening(index: index, port: port, of: count) }
            )
        }
        self.chatServers = chatServers

        let accounts = InProcessAccountService(
            users: users,
            verify: verify,
            status: status,
            hasher: PasswordHasher(cost: configuration.bcryptCost),
            limiter: limiter,
            limits: configuration.limits,
            sessions: LocalSessionControl(chatServers: chatServers),
            clock: clock,
            logger: logger.named("gate")
        )
        self.gate = GateServer(
            host: configuration.host,
            port: configuration.gatePort,
            accounts: accounts,
            tls: tls?.configuration,
            limits: gateLimits,
            logger: logger.named("gate"),
            onListening: { port in readiness.gateListening(port: port) }
        )
    }

    public func run() async throws {
        let services: [any Service] = [gate, updateLogCompactor] + chatServers
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        defer {
            // Every acknowledged message was committed before its ack; closing checkpoints the
            // WAL so the next start opens a tidy file.
            do { try database.close() } catch {
                logger.warning("closing the database failed", metadata: ["error": "\(error)"])
            }
        }
        try await group.run()
    }

    /// Waits until the gate and every chat server are listening.
    public func endpoints() async -> ServerStackEndpoints {
        let (gatePort, chatPorts) = await readiness.wait()
        return ServerStackEndpoints(
            host: configuration.host,
            gatePort: gatePort,
            chatPorts: chatPorts,
            tls: configuration.tls != nil
        )
    }

    /// Reads the certificate and key once, at start, so a bad file is a clear error then.
    static func loadTLS(
        _ files: ServerStackConfiguration.TLSFiles
    ) throws -> (configuration: TLSConfiguration, context: NIOSSLContext) {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificatePath)
        } catch {
            throw ServerStackError.unreadableTLSFile(files.certificatePath, "a PEM certificate chain")
        }
        do {
            key = try NIOSSLPrivateKey(file: files.keyPath, format: .pem)
        } catch {
            throw ServerStackError.unreadableTLSFile(files.keyPath, "a PEM private key")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        return (configuration, try NIOSSLContext(configuration: configuration))
    }

    /// Creates the data directory and proves it writable, so a bad `--data-dir` fails with a
    /// clear message at start, not with a database error later.
    ///
    /// The directory is the owner's only (0700) and so is every file in it (0600): it holds
    /// every message, the password hashes and the dev mailbox's codes. The process's umask makes
    /// the files SQLite creates later (WAL, shared memory) private too.
    static func prepare(dataDirectory: String) throws {
        let manager = FileManager.default
        umask(0o077)
        do {
            try manager.createDirectory(
                atPath: dataDirectory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: dataDirectory)
        } catch {
            throw ServerStackError.unwritableDataDirectory(dataDirectory)
        }
        // Files an older version created with the default umask.
        for name in (try? manager.contentsOfDirectory(atPath: dataDirectory)) ?? [] {
            let path = dataDirectory + "/" + name
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                try? manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
            }
        }
        let probe = dataDirectory + "/.write-test"
        guard manager.createFile(atPath: probe, contents: Data()) else {
            throw ServerStackError.unwritableDataDirectory(dataDirectory)
        }
        try? manager.removeItem(atPath: probe)
    }
}

public enum ServerStackError: Error, CustomStringConvertible {
    case unwritableDataDirectory(String)
    case unreadableTLSFile(String, String)

    public var description: String {
        switch self {
        case .unreadableTLSFile(let path, let what):
            return "\(path) cannot be read as \(what). Check --tls-cert and --tls-key."
        case .unwritableDataDirectory(let path):
            return "The data directory \(path) cannot be created or written to. Choose another with --data-dir."
        }
    }
}

extension ServerStack {
    /// Why the stack could not start, in words for the person who started it.
    public static func describeStartupFailure(_ error: Error, gatePort: Int, chatPort: Int) -> String {
        let text = "\(error)"
        if text.contains("Address already in use") || text.contains("EADDRINUSE") {
            return
                "a port is already in use (gate \(gatePort), chat \(chatPort)…). Stop the other server or choose other ports with --gate-port and --chat-port."
        }
        return text
    }
}

extension Logger {
    /// The same logger, its lines tagged with the service they come from.
    public func named(_ service: String) -> Logger {
        var logger = self
        logger[metadataKey: "service"] = "\(service)"
        return logger
    }
}

/// Collects the bound ports as the servers come up, and wakes whoever waits for all of them.
final class Readiness: Sendable {
    private struct State {
        var gatePort: Int?
        var chatPorts: [Int: Int] = [:]
        var chatCount = Int.max
        var waiters: [CheckedContinuation<(Int, [Int]), Never>] = []

        var ready: (Int, [Int])? {
            guard let gatePort, chatPorts.count == chatCount else { return nil }
            return (gatePort, chatPorts.sorted { $0.key < $1.key }.map(\.value))
        }
    }

    private let state = Mutex(State())

    func gateListening(port: Int) {
        update { $0.gatePort = port }
    }

    func chatListening(index: Int, port: Int, of count: Int) {
        update {
            $0.chatPorts[index] = port
            $0.chatCount = count
        }
    }

    func wait() async -> (Int, [Int]) {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> (Int, [Int])? in
                if let ready = state.ready { return ready }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func update(_ change: (inout State) -> Void) {
        let (ready, waiters) = state.withLock { state -> ((Int, [Int])?, [CheckedContinuation<(Int, [Int]), Never>]) in
            change(&state)
            guard let ready = state.ready else { return (nil, []) }
            defer { state.waiters = [] }
            return (ready, state.waiters)
        }
        if let ready { for waiter in waiters { waiter.resume(returning: ready) } }
    }
}
