import ChatProtocol
import ChatServer
import ChatServices
import GateServer
import SMTPMail
import SQLiteStores

/// Where and how the whole stack runs; `wechat-server`'s options map onto this one to one.
public struct ServerStackConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the bound one is in `ServerStack.endpoints()`.
    public var gatePort = 8888
    /// The first chat server's port; the others take the following ports (or free ones with 0).
    public var chatPort = 8090
    public var chatServers = 1
    public var dataDirectory: String
    /// bcrypt cost for new password hashes.
    public var bcryptCost: UInt8 = 10
    /// How long a session token stays valid.
    public var tokenLifetimeSeconds: Int64 = 30 * 24 * 3600
    /// A chat connection silent for this long is closed.
    public var idleTimeoutSeconds = ProtocolLimits.idleTimeoutSeconds
    /// A chat connection must say Hello within this long.
    public var helloTimeoutSeconds = ProtocolLimits.helloTimeoutSeconds
    /// Connections one chat server accepts; past it clients are told the server is full.
    public var maxConnections = 16_000
    /// The gate's HTTP connections: idle timeout, total and per-address caps.
    public var gateLimits = GateConnectionLimits()
    /// The database writer's page cache, in MiB (see `SQLiteDatabase.defaultWriterCacheMiB`).
    public var databaseCacheMiB = SQLiteDatabase.defaultWriterCacheMiB
    /// Rate limits on sign-ins, code mails, messages, friend requests and frames.
    public var limits = RateLimitPolicy()
    /// The clock of every rule that depends on time: token and code expiry, rate limits, frame
    /// budgets. Tests pass a `ManualWallClock`'s and move it instead of sleeping.
    public var clock = WallClock.system
    /// The address clients are told to use for the first chat server (the others: the following
    /// ports), when a proxy or NAT sits in front of it. nil: where it listens.
    public var advertisedChatHost: String?
    public var advertisedChatPort: Int?
    /// Serve the gate (HTTPS) and the chat servers over TLS with this PEM certificate chain and key.
    public var tls: TLSFiles?
    /// Send verification mails through this SMTP server; nil: into the dev mailbox file.
    public var smtp: SMTPConfiguration?
    /// How much of each user's update log is kept, and how often the rest is deleted.
    public var updateLog = UpdateLogCompactor.Configuration()

    public struct TLSFiles: Sendable, Equatable {
        public var certificatePath: String
        public var keyPath: String

        public init(certificatePath: String, keyPath: String) {
            self.certificatePath = certificatePath
            self.keyPath = keyPath
        }
    }

    public init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    public var databasePath: String { dataDirectory + "/wechat.sqlite" }
    public var mailboxPath: String { dataDirectory + "/dev-mailbox.txt" }
}

/// The addresses the stack is serving on, once it is.
public struct ServerStackEndpoints: Sendable, Equatable {
    public var host: String
    public var gatePort: Int
    public var chatPorts: [Int]
    public var tls = false

    public var gateURL: String { "\(tls ? "https" : "http")://\(host):\(gatePort)" }
}
