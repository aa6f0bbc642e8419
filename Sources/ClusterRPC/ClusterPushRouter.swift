import ChatProtocol
import ChatServer
import ChatServices
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// `PushRouter` across the chat nodes of a cluster: a push for a user goes to the chat servers
/// presence says they are on; one attached in this process gets it directly, any other through
/// one long-lived gRPC stream per peer node (`Push.Deliver`), so a push costs no call set-up.
///
/// Pushes are hints (a device syncs what it misses from its update log), so this never waits
/// and never retries: a peer's queue that is full drops the newest push, a peer that cannot be
/// reached is left alone for a second and its pushes dropped meanwhile (a node that died is
/// soon out of presence, and its users reconnect elsewhere and sync). A `Service`: `run()` holds
/// the peers' streams until shutdown.
public final class ClusterPushRouter: PushRouter, Service {
    private let status: any StatusService
    private let logger: Logger
    private let receivers = Mutex<[String: any PushReceiver]>([:])
    private let peers = Mutex<Peers>(Peers())

    private struct Peers {
        var streams: [String: Peer] = [:]
        /// Peers that failed, and until when they are not tried again.
        var restingUntil: [String: ContinuousClock.Instant] = [:]
        var closed = false
    }

    private struct Peer {
        var queue: PushQueue
        var task: Task<Void, Never>
    }

    /// A peer's pushes waiting for the stream: the writer takes everything queued at once and
    /// sends it as one `PushBatch`, so under load one write carries many pushes.
    final class PushQueue: Sendable {
        private struct State {
            var frames: [Wechat_Cluster_V1_PushFrame] = []
            var closed = false
        }

        private let state = Mutex(State())
        private let wakes: AsyncStream<Void>
        private let wake: AsyncStream<Void>.Continuation

        init() {
            (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        }

        /// False when the queue is full (the push is dropped: it is a hint) or closed.
        @discardableResult
        func add(_ frame: Wechat_Cluster_V1_PushFrame) -> Bool {
            let added = state.withLock { state in
                guard !state.closed, state.frames.count < ClusterPushRouter.queueLimit else { return false }
                state.frames.append(frame)
                return true
            }
            if added { wake.yield() }
            return added
        }

        func close() {
            state.withLock { $0.closed = true }
            wake.finish()
        }

        /// Every batch queued from now on, until closed.
        func batches() -> AsyncStream<Wechat_Cluster_V1_PushBatch> {
            AsyncStream { continuation in
                let task = Task {
                    for await _ in wakes {
                        let frames = state.withLock { state in
                            defer { state.frames = [] }
                            return state.frames
                        }
                        if !frames.isEmpty { continuation.yield(.with { $0.frames = frames }) }
                    }
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel() }
            }
        }
    }

    /// How many pushes may wait for one peer before new ones are dropped.
    static let queueLimit = 50_000
    static let restAfterFailure: Duration = .seconds(1)

    public init(status: any StatusService, logger: Logger) {
        self.status = status
        self.logger = logger
    }

    public func attach(chatServerID: String, receiver: any PushReceiver) {
        receivers.withLock { $0[chatServerID] = receiver }
    }

    public func detach(chatServerID: String) {
        _ = receivers.withLock { $0.removeValue(forKey: chatServerID) }
    }

    public func push(_ frame: ByteBuffer, to user: UserID, except connection: ConnectionID?) {
        let servers = status.chatServers(of: user)
        guard !servers.isEmpty else { return }
        var remote: [String] = []
        let local = receivers.withLock { receivers in
            servers.compactMap { id -> (any PushReceiver)? in
                if let receiver = receivers[id] { return receiver }
                remote.append(id)
                return nil
            }
        }
        for receiver in local {
            receiver.deliver(frame, to: user, except: connection)
        }
        guard !remote.isEmpty else { return }
        let message = Wechat_Cluster_V1_PushFrame.with {
            $0.userID = user
            $0.frame = Data(frame.readableBytesView)
        }
        for id in remote {
            send(message, to: id)
        }
    }

    /// Delivers a push that came from a peer to the chat servers of this process.
    func deliverLocally(_ frame: ByteBuffer, to user: UserID) {
        let local = receivers.withLock { Array($0.values) }
        for receiver in local {
            receiver.deliver(frame, to: user, except: nil)
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        let streams = peers.withLock { peers in
            peers.closed = true
            defer { peers.streams = [:] }
            return Array(peers.streams.values)
        }
        for peer in streams {
            peer.queue.close()
        }
        for peer in streams {
            await peer.task.value
        }
    }

    private func send(_ message: Wechat_Cluster_V1_PushFrame, to id: String) {
        let queue = peers.withLock { peers -> PushQueue? in
            guard !peers.closed else { return nil }
            if let peer = peers.streams[id] { return peer.queue }
            if let until = peers.restingUntil[id], ContinuousClock.now < until { return nil }
            peers.restingUntil[id] = nil
            let queue = PushQueue()
            let task = Task { await self.stream(queue.batches(), to: id) }
            peers.streams[id] = Peer(queue: queue, task: task)
            return queue
        }
        queue?.add(message)
    }

    /// One peer's stream, for as long as it lasts.
    private func stream(_ batches: AsyncStream<Wechat_Cluster_V1_PushBatch>, to id: String) async {
        do {
            guard let server = try await status.chatServer(id: id), let address = server.pushEndpoint,
                let endpoint = ServiceEndpoint(address)
            else {
                throw ChatError(.unavailable, "chat node \(id) takes no pushes")
            }
            let connection = try RPCConnection(service: "push", endpoint: endpoint, logger: logger)
            try await withThrowingDiscardingTaskGroup { group in
                group.addTask { try await connection.run() }
                defer { connection.close() }
                let push = Wechat_Cluster_V1_Push.Client(wrapping: connection.client)
                var options = CallOptions.defaults
                options.waitForReady = true
                _ = try await push.deliver(
                    request: StreamingClientRequest { writer in
                        for await batch in batches {
                            try await writer.write(batch)
                        }
                    },
                    options: options
                )
            }
        } catch {
            logger.warning(
                "pushes to a chat node interrupted; dropping them for a moment",
                metadata: ["node": "\(id)", "error": "\(error)"]
            )
        }
        peers.withLock { peers in
            peers.streams[id]?.queue.close()
            peers.streams[id] = nil
            if !peers.closed { peers.restingUntil[id] = ContinuousClock.now + Self.restAfterFailure }
        }
    }
}
