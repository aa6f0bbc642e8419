import ChatServices
import GRPCCore
import GRPCNIOTransportHTTP2

/// `VerifyService` in another process, over gRPC: what a gate of a cluster calls. Neither call is
/// retried, since repeating either changes the outcome (a second send is refused, a wrong code
/// counts twice).
public struct RemoteVerifyService: VerifyService {
    private let connection: RPCConnection
    private let verify: Wechat_Cluster_V1_Verify.Client<HTTP2ClientTransport.Posix>

    /// `connection` must be running (it is a `Service`).
    public init(connection: RPCConnection) {
        self.connection = connection
        verify = Wechat_Cluster_V1_Verify.Client(wrapping: connection.client)
    }

    public func sendCode(to email: String, purpose: CodePurpose) async throws {
        try await send(to: email, purpose: purpose, notice: false)
    }

    public func sendNotice(to email: String, purpose: CodePurpose) async throws {
        try await send(to: email, purpose: purpose, notice: true)
    }

    private func send(to email: String, purpose: CodePurpose, notice: Bool) async throws {
        let request = Wechat_Cluster_V1_SendCodeRequest.with {
            $0.email = email
            $0.purpose = purpose.rawValue
            $0.notice = notice
        }
        _ = try await connection.call("send a code", idempotent: false) { options in
            try await verify.sendCode(request, options: options)
        }
    }

    public func consumeCode(_ code: String, email: String, purpose: CodePurpose) async throws {
        let request = Wechat_Cluster_V1_ConsumeCodeRequest.with {
            $0.code = code
            $0.email = email
            $0.purpose = purpose.rawValue
        }
        _ = try await connection.call("check a code", idempotent: false) { options in
            try await verify.consumeCode(request, options: options)
        }
    }
}
