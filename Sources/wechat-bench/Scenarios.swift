import ChatClient
import ChatProtocol
import Dispatch
import Foundation
import Histogram
import Logging
import NIOCore

/// The scenarios of `wechat-bench`, each bounded by `duration` and stopping by itself.
struct Scenarios {
    let server: BenchServer
    let clients: Int
    let duration: Double
    let logger: Logger
    let runID = String(UUID().uuidString.prefix(6)).lowercased()

    var users: BenchUsers { BenchUsers(server: server, logger: logger) }

    /// C clients in pairs, each keeping `window` messages in flight for the whole run.
    func saturate(window: Int, messageBytes: Int) async throws -> BenchReport {
        let run = try await messagingRun(messageBytes: messageBytes)
        announce("saturate: \(run.links.count) clients sending for \(duration) s")
        let started = Date()
        let until = NIODeadline.now() + .milliseconds(Int64(duration * 1000))
        for link in run.links { link.startWindow(window, until: until) }
        try await Task.sleep(until: .now + .milliseconds(Int(duration * 1000)))
        return try await report(
            run,
            scenario: "saturate",
            sendingSince: started,
            note: "window \(window), \(messageBytes)-byte texts"
        )
    }

    /// C clients each sending `rate` messages a second, on schedule whatever the acks do.
    func fixed(rate: Double, messageBytes: Int) async throws -> BenchReport {
        let run = try await messagingRun(messageBytes: messageBytes)
        announce("fixed: \(run.links.count) clients sending for \(duration) s")
        let started = Date()
        // Each client sends rate × duration messages.
        let messagesEach = Int((rate * duration + 1e-9).rounded(.down))
        sendOnSchedule(
            run.links,
            every: .nanoseconds(Int64(1e9 / rate)),
            messagesEach: messagesEach,
            totals: run.totals
        )
        try await Task.sleep(until: .now + .milliseconds(Int(duration * 1000)))
        return try await report(
            run,
            scenario: "fixed",
            sendingSince: started,
            note: "\(rate) msg/s per client, \(messageBytes)-byte texts"
        )
    }

    /// `groups` groups of `members`, each member sending one message to its group every
    /// `interval` seconds: every message is a delivery to each of the other members, and
    /// latency, rate and losses count deliveries.
    func group(groups: Int, members: Int, interval: Double, messageBytes: Int) async throws -> BenchReport {
        let run = try await groupRun(groups: groups, members: members, messageBytes: messageBytes)
        announce("group: \(groups) groups of \(members) sending for \(duration) s")
        let started = Date()
        // Member m of every group, then member m + 1, …: spread over the interval this way, a
        // group's members send at different moments, as people do, instead of a group's all
        // landing together and then the next group's.
        let interleaved = (0..<members).flatMap { member in
            (0..<groups).map { group in run.links[group * members + member] }
        }
        let messagesEach = Int((duration / interval + 1e-9).rounded(.down))
        sendOnSchedule(
            interleaved,
            every: .nanoseconds(Int64(interval * 1e9)),
            messagesEach: messagesEach,
            totals: run.totals
        )
        try await Task.sleep(until: .now + .milliseconds(Int(duration * 1000)))
        await run.drain(seconds: 10)
        let elapsed = Date().timeIntervalSince(started)
        var report = BenchReport(scenario: "group", clients: clients)
        try await run.fill(&report, seconds: elapsed)
        report.serverRssKb = server.residentKiB
        report.notes.append(
            "\(groups) groups of \(members), a message every \(interval) s from each member, \(messageBytes)-byte texts"
        )
        report.notes.append(
            "received, lost, msgs_per_sec and latency count deliveries: each message goes to the other "
                + "\(members - 1) members of its group"
        )
        return report
    }

    /// Password sign-ins for C new users, then token sign-ins (connect + Hello) for the rest of the run.
    func login(parallelism: Int) async throws -> BenchReport {
        let names = try await users.register(count: clients, prefix: "l\(runID)-", parallelism: parallelism)
        let gate = GateClient(baseURL: server.gateURL)
        let passwordLatency = LatencyRecorder()
        let tokens = BenchBox<[(String, GateAPI.ChatServerAddress)]>([])
        var started = DispatchTime.now().uptimeNanoseconds
        try await forEach(names, parallelism: parallelism) { name in
            let begin = DispatchTime.now().uptimeNanoseconds
            let login = try await gate.login(account: name, password: BenchUsers.password)
            passwordLatency.record(microseconds: (DispatchTime.now().uptimeNanoseconds - begin) / 1000)
            tokens.mutate { $0.append((login.token, login.chatServer)) }
        }
        let passwordSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let tokenLatency = LatencyRecorder()
        let all = try tokens.value.map {
            (token: $0.0, address: try BenchLink.address(host: $0.1.host, port: $0.1.port))
        }
        started = DispatchTime.now().uptimeNanoseconds
        let deadline = NIODeadline.now() + .milliseconds(Int64(duration * 1000))
        announce("login: token sign-ins for \(duration) s")
        // Lanes on the event loops, like the messaging scenarios' links (see TokenSignInLane).
        let laneCount = parallelism * 4
        let stop = TokenSignInLane.Stop()
        let lanes = (0..<laneCount).map { lane in
            TokenSignInLane(
                tokens: all,
                lane: lane,
                stride: laneCount,
                deadline: deadline,
                eventLoop: NIOSingletons.posixEventLoopGroup.next(),
                latency: tokenLatency,
                stop: stop
            )
        }
        // Every lane ends (a failure stops the others) before the first failure is reported.
        var signedIn = 0
        var failure: Error?
        for future in lanes.map({ $0.run() }) {
            do { signedIn += try await future.get() } catch { failure = failure ?? error }
        }
        if let failure { throw failure }
        let tokenSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var report = BenchReport(scenario: "login", clients: clients)
        report.durationSeconds = passwordSeconds + tokenSeconds
        report.passwordLoginsPerSec = Double(names.count) / passwordSeconds
        report.passwordLoginLatencyUs = .init(passwordLatency.snapshot)
        report.tokenLoginsPerSec = Double(signedIn) / tokenSeconds
        report.tokenLoginLatencyUs = .init(tokenLatency.snapshot)
        report.serverRssKb = server.residentKiB
        report.notes.append("password sign-ins are one bcrypt verification each at the server's cost")
        return report
    }

    /// C idle signed-in connections: the server's memory per connection. Users carry several
    /// devices each (at most 100 users), since each user costs a bcrypt hash to create.
    func connections(fileLimit: Int) async throws -> BenchReport {
        var report = BenchReport(scenario: "connections", clients: clients)
        if clients + 100 > fileLimit {
            report.notes.append("\(clients) connections need more than this process's open-file limit of \(fileLimit)")
        }
        let userCount = min(100, clients)
        let names = try await users.register(count: userCount, prefix: "c\(runID)-")
        let gate = GateClient(baseURL: server.gateURL)
        var signedIn: [GateAPI.LoginResponse] = []
        for name in names { signedIn.append(try await gate.login(account: name, password: BenchUsers.password)) }
        let logins = signedIn
        let before = server.residentKiB
        let open = BenchBox<[ChatConnection]>([])
        let logger = logger
        let started = Date()
        try await forEach(Array(0..<clients), parallelism: 64) { index in
            let login = logins[index % logins.count]
            let connection = try await BenchUsers.open(token: login.token, at: login.chatServer, logger: logger)
            open.mutate { $0.append(connection) }
        }
        // Let the server settle, then read its memory while every connection is still open.
        try await Task.sleep(for: .seconds(min(5, max(1, duration))))
        let after = server.residentKiB
        report.durationSeconds = Date().timeIntervalSince(started)
        report.serverRssKb = after
        report.rssPerConnectionKb = Double(after - before) / Double(clients)
        report.notes.append("server RSS \(before) KiB before the connections, \(after) KiB with them")
        for connection in open.value { await connection.close() }
        return report
    }

    /// A progress line on stderr (stdout carries the report), so whoever watches or profiles the
    /// server knows when setup ends and the measured part begins.
    private func announce(_ line: String) {
        FileHandle.standardError.write(Data("wechat-bench: \(line)\n".utf8))
    }

    /// The end of a messaging scenario: the last messages answered and delivered (waiting while
    /// they keep coming, and up to 10 s after they stop), then the count of what was lost, and
    /// the rate over the whole time until then.
    private func report(
        _ run: MessagingRun,
        scenario: String,
        sendingSince started: Date,
        note: String
    ) async throws -> BenchReport {
        await run.drain(seconds: 10)
        let elapsed = Date().timeIntervalSince(started)
        var report = BenchReport(scenario: scenario, clients: clients)
        try await run.fill(&report, seconds: elapsed)
        report.serverRssKb = server.residentKiB
        report.notes.append(note)
        return report
    }

    /// Starts every link sending `messagesEach` messages, one every `interval`, on a schedule
    /// fixed from now: the links' first sends are spread over the first interval in their order,
    /// so they do not all fire at once. One `FixedRateDriver` per event loop.
    private func sendOnSchedule(
        _ links: [BenchLink],
        every interval: TimeAmount,
        messagesEach: Int,
        totals: BenchTotals
    ) {
        let start = NIODeadline.now()
        let schedule = links.enumerated().map { index, link in
            (link: link, first: start + .nanoseconds(interval.nanoseconds * Int64(index) / Int64(links.count)))
        }
        let byLoop = Dictionary(grouping: schedule) { ObjectIdentifier($0.link.eventLoop) }
        for onLoop in byLoop.values {
            FixedRateDriver(
                eventLoop: onLoop[0].link.eventLoop,
                schedule: onLoop,
                interval: interval,
                messagesEach: messagesEach,
                totals: totals
            ).start()
        }
    }

    /// Users in `groups` groups of `members`, friends of their group's owner, their groups made.
    private func groupRun(groups: Int, members: Int, messageBytes: Int) async throws -> GroupRun {
        let names = try await users.register(count: groups * members, prefix: "g\(runID)-")
        let connected = try await users.connect(names)
        let memberships = stride(from: 0, to: connected.count, by: members).map {
            Array(connected[$0..<$0 + members])
        }
        let groupIDs = try await users.formGroups(memberships)
        // As in the other messaging scenarios, the run itself is on lean connections (BenchLink).
        for user in connected { await user.connection.close() }
        return try await GroupRun.open(memberships, groupIDs: groupIDs, messageBytes: messageBytes)
    }

    private func messagingRun(messageBytes: Int) async throws -> MessagingRun {
        let count = clients + clients % 2
        let names = try await users.register(count: count, prefix: "m\(runID)-")
        let connected = try await users.connect(names)
        try await users.pairUp(connected)
        // The messaging itself runs on lean connections of its own (see BenchLink).
        for user in connected { await user.connection.close() }
        return try await MessagingRun.open(connected, messageBytes: messageBytes)
    }
}
