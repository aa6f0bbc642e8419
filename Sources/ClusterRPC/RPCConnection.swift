import ChatProtocol
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// One gRPC client to one cluster service, with the rules every call follows: a deadline on each
/// call, fail fast while the service is known to be down (no waiting for it to come back), and
/// retries with backoff only for calls that are safe to repeat. A `Service`: `run()` keeps the
/// connection (reconnecting quickly, so a restarted service is found again within a second).
public final class RPCConnection: Service {
    public let service: String
    public let endpoint: ServiceEndpoint
    let client: GRPCClient<HTTP2ClientTransport.Posix>
    let timeout: Duration
    let logger: Logger

    /// - Parameters:
    ///   - service: its name in errors and logs ("status").
    ///   - timeout: each call's deadline, retries included.
    public init(
        service: String,
        endpoint: ServiceEndpoint,
        timeout: Duration = .seconds(3),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) throws {
        self.service = service
        self.endpoint = endpoint
        self.timeout = timeout
        self.logger = logger
        var config = HTTP2ClientTransport.Posix.Config.defaults
        // The default waits up to two minutes between tries; a service restarting is back in
        // seconds, and callers fail fast meanwhile, so trying often costs nothing.
        config.backoff = .init(initial: .milliseconds(100), max: .seconds(1), multiplier: 1.6, jitter: 0.2)
        config.connection.maxIdleTime = nil
        let transport = try HTTP2ClientTransport.Posix(
            target: .dns(host: endpoint.host, port: endpoint.port),
            transportSecurity: .plaintext,
            config: config,
            eventLoopGroup: eventLoopGroup
        )
        client = GRPCClient(transport: transport)
    }

    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await client.runConnections()
        } onGracefulShutdown: {
            self.client.beginGracefulShutdown()
        }
    }

    /// Stops the connection (when not run as part of a service group).
    public func close() {
        client.beginGracefulShutdown()
    }

    /// Options for one call. Idempotent calls are retried on `unavailable` within the deadline.
    func options(idempotent: Bool) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        // Fail at once while the connection is known to be down instead of queueing until the
        // deadline: the caller answers "unavailable" now, and the next call tries again.
        options.waitForReady = false
        if idempotent {
            options.executionPolicy = .retry(
                RetryPolicy(
                    maxAttempts: 3,
                    initialBackoff: .milliseconds(50),
                    maxBackoff: .milliseconds(500),
                    backoffMultiplier: 3,
                    retryableStatusCodes: [.unavailable]
                )
            )
        }
        return options
    }

    /// Runs a call; any failure becomes the `ChatError` the service sent, or `unavailable`
    /// naming the service. Transport failures are logged here, once.
    func call<Result: Sendable>(
        _ what: String,
        idempotent: Bool,
        _ body: (CallOptions) async throws -> Result
    ) async throws -> Result {
        do {
            return try await body(options(idempotent: idempotent))
        } catch {
            let chatError = ChatError(error, calling: service, at: endpoint)
            if (error as? RPCError)?.metadata[stringValues: RPCError.errorCodeKey].first(where: { _ in true }) == nil {
                logger.warning(
                    "\(service) call failed",
                    metadata: ["call": "\(what)", "address": "\(endpoint)", "error": "\(error)"]
                )
            }
            throw chatError
        }
    }
}

extension RPCConnection {
    /// Asks the service's health check, retrying for up to `patience`: a role starting checks
    /// what it calls, so a wrong address is a plain sentence at start, not failures later.
    public func checkHealth(patience: Duration = .seconds(5)) async throws {
        let health = Grpc_Health_V1_Health.Client(wrapping: client)
        let deadline = ContinuousClock.now + patience
        while true {
            do {
                let reply = try await call("check health", idempotent: true) { options in
                    try await health.check(.init(), options: options)
                }
                if reply.status == .serving { return }
                throw ChatError(.unavailable, "The \(service) service at \(endpoint) is not serving.")
            } catch let error as ChatError {
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }
}
