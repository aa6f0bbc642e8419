import ArgumentParser
import ChatProtocol
import ChatServices
import Foundation
import Logging
import NIOCore
import NIOSSL
import SMTPMail
import SQLiteStores
import ServerStack
import ServiceLifecycle

/// `wechat-server` with no role: the whole server stack, headless, in one process.
struct EmbeddedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedded",
        abstract:
            "The whole stack (gate, verify, status and chat servers) in one process on an embedded SQLite store (the default)."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(name: .customLong("gate-port"), help: "HTTP port of the gate API (0 picks a free port).")
    var gatePort = 8888

    @Option(
        name: .customLong("chat-port"),
        help: "TCP port of the first chat server; more chat servers take the next ports (0 picks free ports)."
    )
    var chatPort = 8090

    @Option(name: .customLong("chat-servers"), help: "How many chat servers to run in this process.")
    var chatServers = 1

    @Option(
        name: .customLong("data-dir"),
        help: "Directory for the database and the dev mailbox (default: $XDG_DATA_HOME/wechat/server)."
    )
    var dataDir: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost for new password hashes (10 or more).")
    var bcryptCost: UInt8 = 10

    @Option(
        name: .customLong("max-connections"),
        help: "Connections each chat server accepts before saying it is full."
    )
    var maxConnections = 16_000

    @Option(name: .customLong("db-cache-mib"), help: "Page cache of the database writer, in MiB.")
    var databaseCacheMiB = SQLiteDatabase.defaultWriterCacheMiB

    @Option(name: .customLong("message-rate"), help: "Messages per second one user may send (bursts of 5 times that).")
    var messageRate: Double = 20

    @Option(name: .customLong("friend-requests-per-day"), help: "Friend requests one user may send per day.")
    var friendRequestsPerDay: Double = 100

    @Option(
        name: .customLong("sign-in-failures"),
        help:
            "Failed sign-ins per account before each further try waits (doubling, up to 15 min); per address it is 4 times this."
    )
    var signInFailures = 5

    @Option(
        name: .customLong("code-mails-per-hour"),
        help: "Verification mails per email address per hour; per client address it is 4 times this."
    )
    var codeMailsPerHour: Double = 5

    @Flag(name: .customLong("no-rate-limits"), help: "Turn every rate limit off (load tests only).")
    var noRateLimits = false

    @Option(
        name: .customLong("tls-cert"),
        help: "PEM certificate chain: serve the gate as HTTPS and the chat servers over TLS (with --tls-key)."
    )
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(
        name: .customLong("advertise-chat"),
        help:
            "HOST:PORT clients are told to connect to for the first chat server, when a proxy or NAT sits in front of it."
    )
    var advertiseChat: String?

    @OptionGroup var smtp: SMTPOptions

    func validate() throws {
        _ = try smtp.configuration()
        guard (1...SQLiteDatabase.maxWriterCacheMiB).contains(databaseCacheMiB) else {
            throw ValidationError("--db-cache-mib takes a number of MiB from 1 to \(SQLiteDatabase.maxWriterCacheMiB).")
        }
        guard maxConnections > 0 else { throw ValidationError("--max-connections takes a positive number.") }
        guard messageRate > 0, friendRequestsPerDay > 0, signInFailures > 0, codeMailsPerHour > 0 else {
            throw ValidationError("Rate limits take positive numbers; use --no-rate-limits to turn them off.")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together.")
        }
        if let advertiseChat, Self.hostAndPort(advertiseChat) == nil {
            throw ValidationError("--advertise-chat takes HOST:PORT.")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("Unknown log level '\(logLevel)'.")
        }
        guard (1...64).contains(chatServers) else { throw ValidationError("--chat-servers takes 1 to 64.") }
        guard (0...65535).contains(gatePort), (0...65535).contains(chatPort) else {
            throw ValidationError("Ports are 0 to 65535.")
        }
        guard chatPort == 0 || chatPort + chatServers - 1 <= 65535 else {
            throw ValidationError("The chat ports run past 65535.")
        }
        guard (10...31).contains(bcryptCost) else { throw ValidationError("--bcrypt-cost takes 10 to 31.") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in EscapingLogHandler.standardError(label: label, level: level) }
        let logger = Logger(label: "wechat-server")

        var configuration = ServerStackConfiguration(dataDirectory: dataDir ?? AppPaths().serverData)
        configuration.host = host
        configuration.gatePort = gatePort
        configuration.chatPort = chatPort
        configuration.chatServers = chatServers
        configuration.bcryptCost = bcryptCost
        configuration.maxConnections = maxConnections
        configuration.databaseCacheMiB = databaseCacheMiB
        configuration.limits = rateLimits()
        if let tlsCert, let tlsKey {
            configuration.tls = .init(certificatePath: tlsCert, keyPath: tlsKey)
        }
        if let advertiseChat, let (host, port) = Self.hostAndPort(advertiseChat) {
            configuration.advertisedChatHost = host
            configuration.advertisedChatPort = port
        }
        configuration.smtp = try smtp.configuration()
        let mail = configuration.smtp.map { "smtp=\($0.address)" } ?? "mailbox=\(configuration.mailboxPath)"

        let stack: ServerStack
        do {
            stack = try ServerStack(configuration: configuration, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("wechat-server: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let announce = Task {
            let endpoints = await stack.endpoints()
            let chats = endpoints.chatPorts.map { "\(endpoints.host):\($0)" }.joined(separator: ",")
            // One machine-readable line on stdout: scripts and tests wait for it.
            print(
                "wechat-server ready gate=\(endpoints.host):\(endpoints.gatePort) gate-url=\(endpoints.gateURL) chat=\(chats) tls=\(endpoints.tls ? "on" : "off") data=\(configuration.dataDirectory) \(mail)"
            )
            fflush(nil)  // every stream: `stdout` itself is a C global Swift 6 will not touch
        }
        defer { announce.cancel() }
        let group = ServiceGroup(
            configuration: .init(
                services: [stack],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        do {
            try await group.run()
            logger.notice("stopped cleanly")
        } catch {
            let message = ServerStack.describeStartupFailure(error, gatePort: gatePort, chatPort: chatPort)
            FileHandle.standardError.write(Data("wechat-server: \(message)\n".utf8))
            throw ExitCode(2)
        }
    }

    func rateLimits() -> RateLimitPolicy {
        if noRateLimits { return .unlimited }
        var limits = RateLimitPolicy()
        limits.messagesPerUser = RateLimit(perSecond: messageRate, burst: messageRate * 5)
        limits.friendRequestsPerUser = .per(86_400, friendRequestsPerDay)
        limits.signInFailuresPerAccount.freeFailures = signInFailures
        limits.signInFailuresPerAddress.freeFailures = signInFailures * 4
        limits.codeSendsPerEmail = .per(3600, codeMailsPerHour)
        limits.codeSendsPerAddress = .per(3600, codeMailsPerHour * 4)
        return limits
    }

    static func hostAndPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65535).contains(port), colon > text.startIndex
        else { return nil }
        return (String(text[..<colon]), port)
    }
}
