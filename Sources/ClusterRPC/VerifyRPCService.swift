import ChatProtocol
import ChatServices
import GRPCCore

/// Serves any `VerifyService` over gRPC (the verify role runs it on Redis).
struct VerifyRPCService: Wechat_Cluster_V1_Verify.SimpleServiceProtocol {
    let verify: any VerifyService

    func sendCode(
        request: Wechat_Cluster_V1_SendCodeRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_SendCodeReply {
        let purpose = try Self.purpose(request.purpose)
        try await answering {
            if request.notice {
                try await verify.sendNotice(to: request.email, purpose: purpose)
            } else {
                try await verify.sendCode(to: request.email, purpose: purpose)
            }
        }
        return .init()
    }

    func consumeCode(
        request: Wechat_Cluster_V1_ConsumeCodeRequest,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_ConsumeCodeReply {
        let purpose = try Self.purpose(request.purpose)
        try await answering { try await verify.consumeCode(request.code, email: request.email, purpose: purpose) }
        return .init()
    }

    static func purpose(_ text: String) throws -> CodePurpose {
        guard let purpose = CodePurpose(rawValue: text) else {
            throw RPCError(ChatError(.badRequest, "Unknown code purpose '\(text.prefix(40))'."))
        }
        return purpose
    }
}

/// Runs a service call, turning what it throws into the `RPCError` that carries it across.
func answering<Result: Sendable>(_ body: () async throws -> Result) async throws -> Result {
    do {
        return try await body()
    } catch {
        throw RPCError.answering(error)
    }
}
