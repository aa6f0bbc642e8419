import NIOCore
import NIOSSL

/// Where and how to hand verification mails to a mail server.
public struct SMTPConfiguration: Sendable {
    /// How the connection is protected.
    public enum Security: String, Sendable, CaseIterable {
        /// Plain TCP, then STARTTLS before anything else; refused if the server does not offer it
        /// (port 587, the usual submission port).
        case startTLS = "starttls"
        /// TLS from the first byte (port 465).
        case tls
        /// No encryption at all: only for a relay on the same host or a test sink.
        case none
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// Sign-in for the server (AUTH PLAIN, or LOGIN if that is all it offers); nil sends
    /// without signing in. Never logged.
    public var username: String?
    public var password: String?
    /// The sender's address, shown as "WeChat <from>".
    public var from: String
    /// The name this host gives in EHLO.
    public var heloName: String
    /// The whole conversation, connecting included, must finish within this.
    public var timeout: TimeAmount
    /// Whose certificates to trust: the system's by default; tests pass their own.
    public var trustRoots: NIOSSLTrustRoots

    public init(
        host: String,
        port: Int = 587,
        security: Security = .startTLS,
        username: String? = nil,
        password: String? = nil,
        from: String,
        heloName: String = "localhost",
        timeout: TimeAmount = .seconds(30),
        trustRoots: NIOSSLTrustRoots = .default
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.from = from
        self.heloName = heloName
        self.timeout = timeout
        self.trustRoots = trustRoots
    }

    public var address: String { "\(host):\(port)" }
}
