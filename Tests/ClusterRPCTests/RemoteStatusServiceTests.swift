import ChatProtocol
import ChatServices
import ClusterRPC
import Logging
import StoreTestSupport
import Testing

/// `StatusService` across a process boundary: real gRPC on loopback to a server hosting the
/// in-process status service. It must behave exactly as the service behind it.
@Suite struct RemoteStatusServiceTests {
    @Test(arguments: StatusServiceContract.scenarios)
    func contract(_ scenario: StatusScenario) async throws {
        try await ClusterRPCFixture.with { fixture in
            try await scenario.run(fixture.remoteStatus, fixture.db)
        }
    }

    @Test func theServicesErrorArrivesAsItself() async throws {
        try await ClusterRPCFixture.with { fixture in
            let error = await #expect(throws: ChatError.self) {
                try await fixture.remoteStatus.authenticate(token: "not-a-token")
            }
            #expect(error?.code == .invalidToken)
            #expect(error?.message.isEmpty == false)
        }
    }

    @Test func presenceCopyFollowsChangesMadeByOtherProcesses() async throws {
        try await ClusterRPCFixture.with { fixture in
            // Changes made straight on the service (another chat node's calls) reach the copy.
            _ = await fixture.status.connectionOpened(user: 9, chatServerID: "far")
            await StatusServiceContract.expectChatServers(fixture.remoteStatus, of: 9, ["far"])
            await fixture.status.registerChatServer(ChatServerInfo(id: "far", host: "h", port: 1))
            await StatusServiceContract.expectChatServers(fixture.remoteStatus, of: 9, [])
        }
    }

    /// A presence call lost while the status service was unreachable makes the next heartbeat
    /// answer "not known", so the chat node registers again with all it holds.
    @Test func aLostPresenceCallMakesTheNodeRegisterAgain() async throws {
        try await ClusterRPCFixture.with { fixture in
            await fixture.remoteStatus.registerChatServer(ChatServerInfo(id: "n", host: "h", port: 1))
            #expect(try await fixture.remoteStatus.chatServerHeartbeat(id: "n") == true)

            let port = try PortFinder.freePort()
            let deadEndpoint = ServiceEndpoint(host: "127.0.0.1", port: port)
            let deadConnection = try RPCConnection(
                service: "status",
                endpoint: deadEndpoint,
                timeout: .seconds(1),
                eventLoopGroup: ClusterRPCFixture.eventLoops,
                logger: .quiet
            )
            let unreachable = RemoteStatusService(connection: deadConnection, watchesPresence: false, logger: .quiet)
            try await withThrowingTaskGroup(of: Void.self) { group async throws in
                group.addTask { try await deadConnection.run() }
                defer { group.cancelAll() }
                #expect(await unreachable.connectionOpened(user: 1, chatServerID: "n") == false)
                #expect(try await unreachable.chatServerHeartbeat(id: "n") == false)
            }
        }
    }

    @Test func anUnreachableStatusServiceIsUnavailableNamingItQuickly() async throws {
        let port = try PortFinder.freePort()
        let endpoint = ServiceEndpoint(host: "127.0.0.1", port: port)
        let connection = try RPCConnection(
            service: "status",
            endpoint: endpoint,
            timeout: .seconds(2),
            eventLoopGroup: ClusterRPCFixture.eventLoops,
            logger: .quiet
        )
        let status = RemoteStatusService(connection: connection, watchesPresence: false, logger: .quiet)
        try await withThrowingTaskGroup(of: Void.self) { group async throws in
            group.addTask { try await connection.run() }
            defer { group.cancelAll() }
            let started = ContinuousClock.now
            let error = await #expect(throws: ChatError.self) {
                try await status.assignChatServer()
            }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("status service at 127.0.0.1:\(port)") == true)
            #expect(error?.retryAfterSeconds != nil)
            // Bounded by the call's deadline (2 s), not hanging; the margin is for a test run
            // that keeps both cores busy.
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }
}
