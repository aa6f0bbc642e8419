import ChatServices
import ClusterRPC
import Logging
import NIOPosix
import StoreTestSupport

/// A real gRPC server on loopback hosting in-process verify and status services, and the remote
/// services a gate or chat node would use to call them: the whole path across a process
/// boundary, in one test process.
struct ClusterRPCFixture {
    /// Its own event loops: the whole test run shares the singleton ones, and a busy moment
    /// there must not look like a slow service.
    static let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    let db: TestDatabase
    let mail: CapturedMail
    let verify: InProcessVerifyService
    let status: InProcessStatusService
    let endpoint: ServiceEndpoint
    let remoteVerify: RemoteVerifyService
    let remoteStatus: RemoteStatusService
    let connection: RPCConnection

    /// Runs `body` with the server listening and the remote services connected to it.
    static func with(
        policy: VerifyPolicy = VerifyPolicy(),
        _ body: @Sendable (ClusterRPCFixture) async throws -> Void
    ) async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let mail = CapturedMail()
            let verify = InProcessVerifyService(mail: mail, policy: policy, logger: .quiet)
            let status = InProcessStatusService(sessions: db.sessions, tokenLifetimeSeconds: 3_600, logger: .quiet)
            let port = Locked<Int?>(nil)
            let server = ClusterRPCServer(
                listeningOn: ServiceEndpoint(host: "127.0.0.1", port: 0),
                hosting: .init(verify: verify, status: status),
                eventLoopGroup: Self.eventLoops,
                logger: .quiet,
                onListening: { bound in port.withLock { $0 = bound } }
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.run() }
                while port.withLock({ $0 }) == nil { try await Task.sleep(for: .milliseconds(5)) }
                let endpoint = ServiceEndpoint(host: "127.0.0.1", port: port.withLock { $0 }!)
                let connection = try RPCConnection(
                    service: "status",
                    endpoint: endpoint,
                    timeout: .seconds(10),
                    eventLoopGroup: Self.eventLoops,
                    logger: .quiet
                )
                let remoteStatus = RemoteStatusService(connection: connection, watchesPresence: true, logger: .quiet)
                group.addTask { try await connection.run() }
                group.addTask { try await remoteStatus.run() }
                let fixture = ClusterRPCFixture(
                    db: db,
                    mail: mail,
                    verify: verify,
                    status: status,
                    endpoint: endpoint,
                    remoteVerify: RemoteVerifyService(connection: connection),
                    remoteStatus: remoteStatus,
                    connection: connection
                )
                defer { group.cancelAll() }
                try await body(fixture)
            }
        }
    }
}
