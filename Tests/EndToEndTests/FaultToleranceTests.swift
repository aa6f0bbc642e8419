import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Logging
import Synchronization
import Testing

/// The promise of the whole system, under fire: `wechat-server` as a process, 50 clients
/// exchanging 20,000 messages through a proxy that cuts connections at random, the server
/// SIGKILLed and restarted, and clients stopped and started again from their caches. Afterwards
/// every acknowledged message is on every device of both people exactly once, in order, in both
/// histories, and nothing typed into a stopped client's outbox is lost.
///
/// `FAULT_TEST_MESSAGES` (default 20000) scales it; `FAULT_TEST_SECONDS` (default 420) bounds it.
@Suite struct FaultToleranceTests {
    static let environment = ProcessInfo.processInfo.environment
    static let totalMessages = Int(environment["FAULT_TEST_MESSAGES"] ?? "") ?? 20_000
    static let deadlineSeconds = Double(environment["FAULT_TEST_SECONDS"] ?? "") ?? 420
    /// 40 people in 20 pairs; 10 of them also have a second device: 50 clients.
    static let pairs = 20
    static let secondDevices = 10
    static let clientRestarts = 5
    static let password = "correct horse"

    @Test(.tags(.slow)) func everyAcknowledgedMessageArrivesOnceInOrderThroughCutsKillsAndRestarts() async throws {
        let target = try await EmbeddedFaultTarget.start()
        try await Self.run(against: target)
    }

    /// The same on a cluster: 2 gates, verify, status and 3 chat nodes as processes on PostgreSQL
    /// and Redis, each chat node behind its own cutting proxy. Two chat nodes are SIGKILLed (their
    /// clients must be back on live nodes within 5 s) and started again, and status and Redis are
    /// each restarted once, mid-stream.
    @Test(.tags(.slow, .cluster)) func theClusterLosesNothingThroughNodeKillsAndStatusAndRedisRestarts() async throws {
        try await ClusterSlot.holding {
            let target = try await ClusterFaultTarget.start()
            do {
                try await Self.run(against: target)
            } catch {
                await target.stop()
                throw error
            }
            await target.stop()
        }
    }

    /// Registers the people, befriends the pairs, runs the load with faults at 25, 45 and 65 per
    /// cent delivered, then checks every history, cache and event stream.
    static func run(against target: some FaultTarget) async throws {
        let started = Date()
        let deadline = started.addingTimeInterval(Self.deadlineSeconds)
        let gateURLs = target.gateURLs
        let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wechat-fault-clients-\(UUID().uuidString)"
        ).path
        defer { try? FileManager.default.removeItem(atPath: dataDirectory) }

        // People, their devices, and friendships (before any fault). Devices sign in through the
        // gates in turn.
        let people = (0..<(2 * Self.pairs)).map { "p\(String(format: "%03d", $0))" }
        var idsByName: [String: UserID] = [:]
        for (index, name) in people.enumerated() {
            let gate = GateClient(baseURL: gateURLs[index % gateURLs.count])
            try await ServerProcessTests.register(name, gate: gate, mailbox: target.mailboxPath)
        }
        var devices: [FaultDevice] = []
        for (index, name) in people.enumerated() {
            for device in 0..<(index < Self.secondDevices ? 2 : 1) {
                let gateURL = gateURLs[(index + device) % gateURLs.count]
                let login = try await GateClient(baseURL: gateURL).login(account: name, password: Self.password)
                idsByName[name] = login.userId
                let client = FaultDevice(
                    name: name,
                    device: device,
                    credentials: SessionCredentials(login: login, gateURL: gateURL),
                    cachePath: dataDirectory + "/\(name)-\(device).sqlite"
                )
                try await client.start()
                devices.append(client)
            }
        }
        let senders = devices.filter { $0.device == 0 }
        for pair in 0..<Self.pairs {
            let a = senders[2 * pair]
            let b = senders[2 * pair + 1]
            try await a.session().sendFriendRequest(to: idsByName[b.name]!, message: "hi")
            try await eventually(20) { try await b.session().state.incomingRequests.count == 1 }
            try await b.session().respondToFriendRequest(from: idsByName[a.name]!, accept: true)
        }
        for sender in senders {
            try await eventually(20) { try await sender.session().state.friends.count == 1 }
        }
        let ids = idsByName
        let allDevices = devices
        let perPerson = Self.totalMessages / people.count
        let perConversation = 2 * perPerson
        @Sendable func partner(_ device: FaultDevice) -> String {
            let index = people.firstIndex(of: device.name)!
            return people[index ^ 1]
        }

        // Load: every person's first device types perPerson messages to their partner, paced.
        let sending = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for sender in senders {
                    let peer = ids[partner(sender)]!
                    group.addTask {
                        for i in 0..<perPerson {
                            try await sender.send("\(sender.name) #\(i) 消息 🚀", to: peer)
                            try await Task.sleep(for: .milliseconds(Int.random(in: 2...20)))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        @Sendable func delivered() -> Int { allDevices.reduce(0) { $0 + $1.messageEvents } }
        let expectedEvents = allDevices.count * perConversation

        // Faults: random cuts all along (paused while the target measures a failover); the
        // target's own at 25 and 65 per cent; five client restarts with outboxes at 45.
        let cuts = Atomic<Int>(0)
        let proxies = target.proxies
        let cutting = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Int.random(in: 150...500)))
                guard !target.pausesCuts else { continue }
                let proxy = proxies.randomElement()!
                cuts.wrappingAdd(proxy.cut(Int.random(in: 1...3)), ordering: .relaxed)
            }
        }
        var restarted = 0
        for (stage, fraction) in [(1, 0.25), (2, 0.45), (3, 0.65)] {
            try await eventually(max(1, deadline.timeIntervalSinceNow), "progress past \(fraction)") {
                delivered() >= Int(Double(expectedEvents) * fraction)
            }
            if stage == 2 {
                // Stop clients mid-stream, type into their outboxes while they are down, start them from the cache.
                for device in senders.shuffled().prefix(Self.clientRestarts) {
                    try await device.restart(typingWhileDown: 10, to: ids[partner(device)]!)
                    restarted += 1
                }
            }
            try await target.fault(stage: stage, devices: allDevices)
        }
        try await sending.value
        try await eventually(max(1, deadline.timeIntervalSinceNow), "every device has every message") {
            delivered() >= expectedEvents
        }
        cutting.cancel()
        for device in senders {
            try await eventually(20, "\(device.name)'s outbox drains") {
                try await device.session().state.outbox.isEmpty
            }
        }

        // The messages typed while stopped are the last to arrive: every device must get all of
        // its conversation, those included, before the checks.
        @Sendable func expectedCount(_ device: FaultDevice) -> Int {
            perConversation
                + senders.filter { $0.name == device.name || $0.name == partner(device) }.reduce(0) {
                    $0 + $1.typedWhileDown.count
                }
        }
        do {
            try await eventually(60, "every device has every message, those typed while stopped too") {
                allDevices.allSatisfy { $0.messageEvents >= expectedCount($0) }
            }
        } catch {
            for device in allDevices where device.messageEvents < expectedCount(device) {
                print(
                    "fault test: \(device.name)-\(device.device) has \(device.messageEvents) of \(expectedCount(device))"
                )
            }
        }

        // Verify, from the server's history and every device's cache and event stream.
        var lost = 0
        var duplicated = 0
        var outOfOrder = 0
        for pair in 0..<Self.pairs {
            let a = senders[2 * pair]
            let b = senders[2 * pair + 1]
            let history = try await Self.serverHistory(
                token: a.credentials.token,
                peer: ids[b.name]!,
                port: target.chatPort
            )
            let clientIDs = history.map(\.clientMsgID)
            duplicated += clientIDs.count - Set(clientIDs).count
            #expect(history.map(\.seq) == Array(1...UInt64(history.count)), "seq numbers are gapless")
            for person in [a, b] {
                let mine = history.filter { $0.senderID == ids[person.name]! }.map(\.text)
                let expected = (0..<perPerson).map { "\(person.name) #\($0) 消息 🚀" }
                let typedWhileDown = person.typedWhileDown
                let orderedMine = mine.filter { !$0.contains("offline") }
                lost += Set(expected + typedWhileDown).subtracting(mine).count
                if orderedMine != expected.filter(Set(orderedMine).contains)
                    || mine.filter({ $0.contains("offline") }) != typedWhileDown.filter(Set(mine).contains)
                {
                    outOfOrder += 1
                }
            }
            #expect(history.count == perConversation + a.typedWhileDown.count + b.typedWhileDown.count)
        }
        for device in devices {
            let counts = device.eventCounts
            duplicated += counts.values.filter { $0 > 1 }.count
            let peer = ids[partner(device)]!
            let cached = try MessageCache(path: device.cachePath).history(peer: peer, limit: 100_000)
            lost += max(0, expectedCount(device) - Set(cached.map(\.id)).count)
            lost += max(0, expectedCount(device) - counts.count)
            if cached.map(\.seq) != Array((1...UInt64(cached.count)).reversed()) { outOfOrder += 1 }
        }
        let carried = senders.reduce(0) { $0 + $1.typedWhileDown.count + $1.outboxAtStop }
        let elapsed = Int(Date().timeIntervalSince(started))
        print(
            "fault test: \(target.label)clients=\(devices.count) messages=\(Self.totalMessages + senders.reduce(0) { $0 + $1.typedWhileDown.count }) cuts=\(cuts.load(ordering: .relaxed)) \(target.faultSummary) client-restarts=\(restarted) outbox-carried=\(carried) lost=\(lost) duplicated=\(duplicated) out-of-order=\(outOfOrder) seconds=\(elapsed)"
        )
        target.expectFaultsHappened()
        #expect(restarted == Self.clientRestarts)
        #expect(cuts.load(ordering: .relaxed) > 0)
        #expect(lost == 0)
        #expect(duplicated == 0)
        #expect(outOfOrder == 0)

        for device in devices { await device.stop() }
        try await target.finish()
    }

    /// The whole conversation as the server has it, oldest first.
    static func serverHistory(token: String, peer: UserID, port: Int) async throws -> [WireChatMessage] {
        let connection = try await RawClient.connect(token: token, port: port)
        var messages: [WireChatMessage] = []
        var before: UInt64 = 0
        do {
            while true {
                var fetch = WireFetchHistory()
                fetch.peerID = peer
                fetch.beforeSeq = before
                fetch.limit = ProtocolLimits.maxPageSize
                guard case .messageList(let page) = try await connection.request(.fetchHistory(fetch)),
                    let oldest = page.messages.last
                else { break }
                messages += page.messages
                before = oldest.seq
                if before <= 1 { break }
            }
        } catch {
            await connection.close()
            throw error
        }
        await connection.close()
        return messages.reversed()
    }
}

/// One client device in the fault test: a `ChatSession` on its own cache file, restartable, that
/// counts the messages its event stream delivers.
actor FaultDevice {
    nonisolated let name: String
    nonisolated let device: Int
    nonisolated let credentials: SessionCredentials
    nonisolated let cachePath: String
    private var current: ChatSession?
    private var listener: Task<Void, Never>?
    private let counts = EventCounts()

    /// Message id → how many times the event stream delivered it.
    final class EventCounts: Sendable {
        private let counts = Mutex<[Int64: Int]>([:])
        func withLock<T>(_ body: (inout [Int64: Int]) -> T) -> T { counts.withLock { body(&$0) } }
    }
    private let typed = Mutex<[String]>([])
    private let outboxWhenStopped = Atomic<Int>(0)

    init(name: String, device: Int, credentials: SessionCredentials, cachePath: String) {
        self.name = name
        self.device = device
        self.credentials = credentials
        self.cachePath = cachePath
    }

    /// Texts typed while this device was stopped; they must arrive all the same.
    nonisolated var typedWhileDown: [String] { typed.withLock { $0 } }
    /// Messages still in the outbox when it was stopped.
    nonisolated var outboxAtStop: Int { outboxWhenStopped.load(ordering: .relaxed) }
    nonisolated var messageEvents: Int { counts.withLock { $0.count } }
    nonisolated var eventCounts: [Int64: Int] { counts.withLock { $0 } }

    func session() throws -> ChatSession {
        guard let current else { throw ChatError(.unavailable, "\(name) is stopped") }
        return current
    }

    func start() async throws {
        var logger = Logger(label: "fault-client")
        logger.logLevel = .critical
        let session = try ChatSession(
            credentials: credentials,
            cache: try MessageCache(path: cachePath),
            deviceID: "\(name)-device-\(device)",
            backoff: Backoff(base: 0.1, cap: 1),
            logger: logger
        )
        // Current at once: sends that arrive while this actor awaits below go to the new session.
        current = session
        let events = await session.events()
        let counts = counts
        listener = Task {
            for await event in events {
                if case .message(let message, _) = event { counts.withLock { $0[message.id, default: 0] += 1 } }
            }
        }
        await session.start()
    }

    func send(_ text: String, to peer: UserID) async throws {
        try await session().send(text, to: peer)
    }

    /// Stops, types `typingWhileDown` messages into the stopped session's outbox, and starts a new
    /// session from the same cache file, as a person quitting and reopening the app would.
    func restart(typingWhileDown count: Int, to peer: UserID) async throws {
        let old = try session()
        await old.stop()
        outboxWhenStopped.store(await old.state.outbox.count, ordering: .relaxed)
        let first = typedWhileDown.count
        for i in first..<(first + count) {
            let text = "\(name) offline \(i)"
            try await old.send(text, to: peer)
            typed.withLock { $0.append(text) }
        }
        listener?.cancel()
        // Until the new session exists, what the sender types goes to the stopped one's outbox
        // (the same cache file), as it would in an app that is closing.
        try await Task.sleep(for: .milliseconds(300))
        try await start()
    }

    func stop() async {
        await current?.stop()
        listener?.cancel()
    }
}
