import ChatProtocol
import GRPCCore
import NIOCore

/// Takes the pushes other chat nodes stream to this one and hands them to its chat server.
struct PushRPCService: Wechat_Cluster_V1_Push.SimpleServiceProtocol {
    let router: ClusterPushRouter

    func deliver(
        request: RPCAsyncSequence<Wechat_Cluster_V1_PushBatch, any Error>,
        context: ServerContext
    ) async throws -> Wechat_Cluster_V1_DeliverReply {
        for try await batch in request {
            for push in batch.frames {
                router.deliverLocally(ByteBuffer(bytes: push.frame), to: push.userID)
            }
        }
        return .init()
    }
}
