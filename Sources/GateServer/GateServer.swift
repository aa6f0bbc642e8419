import ChatServices
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// GateServer: the HTTP JSON API (`GateAPI`) for sign-up, sign-in and password reset.
public struct GateServer: Service {
    static let maxBodyBytes = 16 * 1024

    let host: String
    let port: Int
    let accounts: AccountService
    let tls: TLSConfiguration?
    let limits: GateConnectionLimits
    let logger: Logger
    let onListening: @Sendable (Int) -> Void

    /// `onListening` receives the bound port (useful with port 0). With `tls`, the gate speaks HTTPS only.
    public init(
        host: String,
        port: Int,
        accounts: AccountService,
        tls: TLSConfiguration? = nil,
        limits: GateConnectionLimits = GateConnectionLimits(),
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        self.host = host
        self.port = port
        self.accounts = accounts
        self.tls = tls
        self.limits = limits
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        let routes = GateRoutes(accounts: accounts)
        let router = Router(context: GateRequestContext.self)
        // Added before any route, so it wraps them all, and the not-found responder too. It is
        // told each path's methods (from the same routes, registered on a router only to list
        // them), since the router answers a wrong method on a real path as not found.
        let listed = Router(context: GateRequestContext.self)
        routes.register(on: listed)
        let methods = JSONErrorMiddleware<GateRequestContext>.methodsByPath(
            listed.routes.map { (path: $0.path.description, method: $0.method.rawValue) }
        )
        router.add(middleware: JSONErrorMiddleware(methodsByPath: methods))
        routes.register(on: router)
        let logger = logger
        let onListening = onListening
        let perAddress = ConnectionsPerAddress(limit: limits.maxConnectionsPerAddress, logger: logger)
        let http1: HTTPServerBuilder = .http1(
            configuration: .init(
                additionalChannelHandlers: [perAddress.handler()],
                idleTimeout: .seconds(limits.idleTimeoutSeconds)
            )
        )
        let server: HTTPServerBuilder = try tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1
        let app = Application(
            router: router,
            server: server,
            configuration: .init(
                address: .hostname(host, port: port),
                serverName: "wechat-gate",
                availableConnectionsDelegate: .maximum(limits.maxConnections, logger: logger)
            ),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice(
                    "gate listening",
                    metadata: ["address": "\(channel.localAddress?.ipAddress ?? "?"):\(port)"]
                )
                onListening(port)
            },
            logger: logger
        )
        try await app.run()
    }
}
