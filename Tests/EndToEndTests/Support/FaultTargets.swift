import ChatClient
import Foundation
import StoreTestSupport
import Synchronization
import Testing

/// What the fault test runs against, and the faults only that deployment can have.
protocol FaultTarget: Sendable {
    /// Where people sign up and devices sign in, in turn.
    var gateURLs: [String] { get }
    var mailboxPath: String { get }
    /// The proxies in front of the chat servers, whose connections are cut at random.
    var proxies: [ChaosProxy] { get }
    /// A chat port for the final check of the server's histories.
    var chatPort: Int { get }
    /// True while a failover is being timed: cuts would muddle it.
    var pausesCuts: Bool { get }
    /// Put first in the printed line ("" for the embedded stack, as before).
    var label: String { get }
    /// This deployment's faults and what they measured, for the printed line.
    var faultSummary: String { get }
    /// The faults at 25 (stage 1), 45 (2) and 65 (3) per cent delivered.
    func fault(stage: Int, devices: [FaultDevice]) async throws
    func expectFaultsHappened()
    /// Stops everything it started.
    func finish() async throws
}

/// `wechat-server` (everything in one process) behind two proxies, SIGKILLed and restarted at
/// stages 1 and 3.
final class EmbeddedFaultTarget: FaultTarget {
    let gateProxy: ChaosProxy
    let proxy: ChaosProxy
    let dataDirectory: String
    private let server: Mutex<ServerProcess?>
    private let kills = Atomic<Int>(0)

    var gateURLs: [String] { ["http://127.0.0.1:\(gateProxy.port)"] }
    var mailboxPath: String { dataDirectory + "/dev-mailbox.txt" }
    var proxies: [ChaosProxy] { [proxy] }
    var chatPort: Int { proxy.port }
    var pausesCuts: Bool { false }
    var label: String { "" }
    var faultSummary: String { "kills=\(kills.load(ordering: .relaxed))" }

    private init(gateProxy: ChaosProxy, proxy: ChaosProxy, dataDirectory: String) {
        self.gateProxy = gateProxy
        self.proxy = proxy
        self.dataDirectory = dataDirectory
        server = Mutex(nil)
    }

    /// Clients reach the gate and the chat server through proxies whose ports outlive server
    /// restarts; the server itself takes free ports each time it starts.
    static func start() async throws -> EmbeddedFaultTarget {
        let target = EmbeddedFaultTarget(
            gateProxy: try await ChaosProxy.start(upstreamPort: 0),
            proxy: try await ChaosProxy.start(upstreamPort: 0),
            dataDirectory: FileManager.default.temporaryDirectory.appendingPathComponent(
                "wechat-fault-\(UUID().uuidString)"
            ).path
        )
        try await target.startServer()
        return target
    }

    private func startServer() async throws {
        let process = try ServerProcess(
            arguments: [
                "--gate-port", "0", "--chat-port", "0", "--advertise-chat", "127.0.0.1:\(proxy.port)",
                "--code-mails-per-hour", "100", "--log-level", "warning",
            ],
            dataDirectory: dataDirectory
        )
        let (realGateURL, chatPorts) = try await process.ready()
        gateProxy.retarget(to: URL(string: realGateURL)!.port!)
        proxy.retarget(to: chatPorts[0])
        server.withLock { $0 = process }
    }

    func fault(stage: Int, devices: [FaultDevice]) async throws {
        guard stage != 2, let process = server.withLock({ $0 }) else { return }
        process.child.send(SIGKILL)
        _ = try await process.exitStatus()
        kills.wrappingAdd(1, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(Int.random(in: 200...1000)))
        try await startServer()
    }

    func expectFaultsHappened() {
        #expect(kills.load(ordering: .relaxed) == 2)
    }

    func finish() async throws {
        await proxy.stop()
        await gateProxy.stop()
        if let process = server.withLock({ $0 }) {
            #expect(try await process.stop() == 0)
        }
        try? FileManager.default.removeItem(atPath: dataDirectory)
    }
}

/// A cluster: 2 gates, verify, status and 3 chat nodes on PostgreSQL and Redis, each chat node
/// behind its own proxy (which it advertises). Stage 1 SIGKILLs chat node 1, stage 3 chat node
/// 2, each timed until every client it held is connected again elsewhere, then started again;
/// stage 2 restarts status (SIGKILL) and then Redis (SIGKILL, empty).
final class ClusterFaultTarget: FaultTarget {
    let cluster: ClusterProcesses
    let chatProxies: [ChaosProxy]
    let gates: [String]
    private let paused = Atomic<Bool>(false)
    private let failovers = Mutex<[Double]>([])
    private let counts = Mutex<(nodeKills: Int, statusRestarts: Int, redisRestarts: Int)>((0, 0, 0))

    var gateURLs: [String] { gates }
    var mailboxPath: String { cluster.mailboxPath }
    var proxies: [ChaosProxy] { chatProxies }
    var chatPort: Int { chatProxies[2].port }
    var pausesCuts: Bool { paused.load(ordering: .relaxed) }
    var label: String { "deployment=cluster gates=\(gates.count) chat-nodes=\(chatProxies.count) " }

    var faultSummary: String {
        let (nodeKills, statusRestarts, redisRestarts) = counts.withLock { $0 }
        let times = failovers.withLock { $0 }.sorted()
        let p50 = times.isEmpty ? 0 : times[times.count / 2]
        let max = times.last ?? 0
        return String(
            format:
                "node-kills=%d status-restarts=%d redis-restarts=%d failover-clients=%d failover-p50=%.2fs failover-max=%.2fs",
            nodeKills,
            statusRestarts,
            redisRestarts,
            times.count,
            p50,
            max
        )
    }

    private init(cluster: ClusterProcesses, chatProxies: [ChaosProxy], gates: [String]) {
        self.cluster = cluster
        self.chatProxies = chatProxies
        self.gates = gates
    }

    static func start() async throws -> ClusterFaultTarget {
        // Forty sign-ups from one address would hit the gate's mail limit; the message limits
        // that matter here are the chat nodes', which keep their defaults.
        let cluster = try await ClusterProcesses.start(gates: 2, gateArguments: ["--no-rate-limits"])
        var proxies: [ChaosProxy] = []
        do {
            for _ in 0..<3 {
                let port = try PortFinder.freePort()
                let proxy = try await ChaosProxy.start(upstreamPort: port)
                proxies.append(proxy)
                try await cluster.startChatNode(port: port, advertisedPort: proxy.port)
            }
            return ClusterFaultTarget(cluster: cluster, chatProxies: proxies, gates: try await cluster.gateURLs)
        } catch {
            for proxy in proxies { await proxy.stop() }
            cluster.stop()
            throw error
        }
    }

    func fault(stage: Int, devices: [FaultDevice]) async throws {
        switch stage {
        case 1, 3:
            let node = stage == 1 ? 0 : 1
            paused.store(true, ordering: .relaxed)
            // Let the last cuts' clients settle, so only the kill's clients are timed.
            try await Task.sleep(for: .seconds(2))
            let killed = ContinuousClock.now
            cluster.killChatNode(node)
            counts.withLock { $0.nodeKills += 1 }
            let times = try await Self.reconnectTimes(of: devices, since: killed)
            failovers.withLock { $0 += times }
            paused.store(false, ordering: .relaxed)
            try await cluster.restartChatNode(node)
        case 2:
            try await cluster.restartStatus()
            counts.withLock { $0.statusRestarts += 1 }
            try await Task.sleep(for: .seconds(1))
            try await cluster.redis.restart()
            counts.withLock { $0.redisRestarts += 1 }
        default:
            break
        }
    }

    /// Seconds from `since` until each device that lost its connection has one again: every
    /// device is watched for 15 s, and those never seen disconnected were elsewhere.
    static func reconnectTimes(of devices: [FaultDevice], since: ContinuousClock.Instant) async throws -> [Double] {
        var lostAt: [Int: Bool] = [:]
        var back: [Int: Double] = [:]
        let until = since + .seconds(15)
        while ContinuousClock.now < until {
            for (index, device) in devices.enumerated() where back[index] == nil {
                let connected = try await device.session().state.connection.isConnected
                if !connected {
                    lostAt[index] = true
                } else if lostAt[index] == true {
                    let elapsed = ContinuousClock.now - since
                    back[index] = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                }
            }
            if !lostAt.isEmpty, lostAt.keys.allSatisfy({ back[$0] != nil }),
                ContinuousClock.now - since > .seconds(1)
            {
                break
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        // One still disconnected at the end counts as the whole window.
        return lostAt.keys.map { back[$0] ?? 15 }
    }

    func expectFaultsHappened() {
        let (nodeKills, statusRestarts, redisRestarts) = counts.withLock { $0 }
        #expect(nodeKills == 2)
        #expect(statusRestarts == 1)
        #expect(redisRestarts == 1)
        let times = failovers.withLock { $0 }
        #expect(!times.isEmpty, "the killed nodes held clients")
        #expect((times.max() ?? 99) < 5, "clients of a killed node are back within 5 s")
    }

    /// Everything stops in `stop()`, which the test calls whether the run passed or not.
    func finish() async throws {}

    func stop() async {
        for proxy in chatProxies { await proxy.stop() }
        cluster.stop()
    }
}
