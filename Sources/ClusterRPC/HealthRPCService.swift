import GRPCCore

/// The standard gRPC health check: SERVING for the whole server ("") and for each service it
/// hosts, SERVICE_UNKNOWN for any other name. A process that answers is serving: its
/// dependencies were reached before it started listening.
struct HealthRPCService: Grpc_Health_V1_Health.SimpleServiceProtocol {
    let services: Set<String>

    func check(
        request: Grpc_Health_V1_HealthCheckRequest,
        context: ServerContext
    ) async throws -> Grpc_Health_V1_HealthCheckResponse {
        .with {
            $0.status = request.service.isEmpty || services.contains(request.service) ? .serving : .serviceUnknown
        }
    }
}
