import ChatServices
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOPosix
import ServiceLifecycle

/// The gRPC server of one cluster process: the services its role hosts, and the health service.
/// A `Service`: graceful shutdown lets calls in flight finish.
public final class ClusterRPCServer: Service {
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let transport: HTTP2ServerTransport.Posix
    private let logger: Logger
    private let onListening: @Sendable (Int) -> Void

    /// What a process serves; each is optional, a role hosts what it is.
    public struct Hosted: Sendable {
        public var verify: (any VerifyService)?
        public var status: (any StatusService & PresenceFeed)?
        /// A chat node's router: pushes from its peers go to its chat server.
        public var push: ClusterPushRouter?

        public init(
            verify: (any VerifyService)? = nil,
            status: (any StatusService & PresenceFeed)? = nil,
            push: ClusterPushRouter? = nil
        ) {
            self.verify = verify
            self.status = status
            self.push = push
        }
    }

    public init(
        listeningOn endpoint: ServiceEndpoint,
        hosting hosted: Hosted,
        eventLoopGroup: MultiThreadedEventLoopGroup = .singleton,
        logger: Logger,
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) {
        var services: [any RegistrableRPCService] = []
        var names: Set<String> = []
        if let verify = hosted.verify {
            services.append(VerifyRPCService(verify: verify))
            names.insert(Wechat_Cluster_V1_Verify.descriptor.fullyQualifiedService)
        }
        if let status = hosted.status {
            services.append(StatusRPCService(status: status))
            names.insert(Wechat_Cluster_V1_Status.descriptor.fullyQualifiedService)
        }
        if let push = hosted.push {
            services.append(PushRPCService(router: push))
            names.insert(Wechat_Cluster_V1_Push.descriptor.fullyQualifiedService)
        }
        services.append(HealthRPCService(services: names))
        transport = HTTP2ServerTransport.Posix(
            address: .ipv4(host: endpoint.host, port: endpoint.port),
            transportSecurity: .plaintext,
            eventLoopGroup: eventLoopGroup
        )
        server = GRPCServer(transport: transport, services: services)
        self.logger = logger
        self.onListening = onListening
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await self.server.serve() }
                // Readiness once the socket is bound.
                if let port = try await self.transport.listeningAddress.ipv4?.port {
                    self.onListening(port)
                }
            }
        } onGracefulShutdown: {
            self.server.beginGracefulShutdown()
        }
    }
}
