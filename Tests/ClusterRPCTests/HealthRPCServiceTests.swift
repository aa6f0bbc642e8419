import GRPCCore
import Testing

@testable import ClusterRPC

/// The standard health check, as probes call it.
@Suite struct HealthRPCServiceTests {
    @Test func servingForTheServerAndItsServicesUnknownOtherwise() async throws {
        try await ClusterRPCFixture.with { fixture in
            let health = Grpc_Health_V1_Health.Client(wrapping: fixture.connection.client)
            let whole = try await health.check(.with { $0.service = "" })
            #expect(whole.status == .serving)
            let status = try await health.check(.with { $0.service = "wechat.cluster.v1.Status" })
            #expect(status.status == .serving)
            let other = try await health.check(.with { $0.service = "wechat.cluster.v1.Nope" })
            #expect(other.status == .serviceUnknown)
        }
    }
}
