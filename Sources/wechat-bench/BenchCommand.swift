import ArgumentParser
import ChatProtocol
import ChatServices
import Foundation
import Logging

/// `wechat-bench`: drives simulated clients against a running server over real sockets.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wechat-bench",
        abstract: "Load generator for wechat-server: throughput, latency percentiles, sign-ins, memory per connection.",
        discussion: """
            Scenarios: saturate (pairs send as fast as a window allows), fixed (a steady rate per \
            client), group (groups whose members each send every --interval seconds, latency to \
            every member), login (password then token sign-ins), connections (idle connections, \
            server memory each). Every run stops by itself after --duration seconds. Loopback only.
            """
    )

    enum Scenario: String, ExpressibleByArgument, CaseIterable {
        case saturate, fixed, group, login, connections
    }

    @Argument(help: "saturate, fixed, group, login or connections")
    var scenario: Scenario

    @Flag(help: "Start a wechat-server (from beside this binary) on free ports and a fresh data directory.")
    var spawn = false

    @Option(help: "The gate URL of a running server (without --spawn).")
    var server = "http://127.0.0.1:8888"

    @Option(help: "That server's dev mailbox, to read verification codes (without --spawn).")
    var mailbox: String?

    @Option(name: .customLong("server-pid"), help: "That server's process id, to read its memory (without --spawn).")
    var serverPID: Int32?

    @Option(help: "Simulated clients (connections, for the connections scenario; group: --groups × --members).")
    var clients = 200

    @Option(help: "saturate: unacknowledged messages each client keeps in flight.")
    var window = 32

    @Option(help: "fixed: messages per second each client sends.")
    var rate = 20.0

    @Option(help: "group: groups, each with its own members.")
    var groups = 20

    @Option(help: "group: members of each group, its owner included.")
    var members = 50

    @Option(help: "group: seconds between one member's messages.")
    var interval = 2.0

    @Option(name: .customLong("message-bytes"), help: "Text size of each message.")
    var messageBytes = 64

    @Option(help: "Seconds the measured part runs (set-up and drain come on top).")
    var duration = 10.0

    @Option(name: .customLong("chat-servers"), help: "With --spawn: chat servers in the server process.")
    var chatServers = 1

    @Option(name: .customLong("bcrypt-cost"), help: "With --spawn: the server's bcrypt cost.")
    var bcryptCost = 10

    @Option(help: "login: sign-ins in flight at once.")
    var parallelism = 8

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func validate() throws {
        guard clients >= 1, clients <= 20_000 else { throw ValidationError("--clients takes 1 to 20000.") }
        guard duration > 0, duration <= 600 else { throw ValidationError("--duration takes 0 to 600 seconds.") }
        guard window >= 1, window <= 1024 else { throw ValidationError("--window takes 1 to 1024.") }
        guard spawn || mailbox != nil else { throw ValidationError("Without --spawn, name the server's --mailbox.") }
        guard messageBytes >= 32, messageBytes <= 16_000 else {
            throw ValidationError("--message-bytes takes 32 to 16000.")
        }
        if scenario == .group {
            // A group needs its owner and two friends; the server caps its size.
            guard members >= 3, members <= ProtocolLimits.maxGroupMembers else {
                throw ValidationError("--members takes 3 to \(ProtocolLimits.maxGroupMembers).")
            }
            guard groups >= 1, groups <= 20_000 / members else {
                throw ValidationError("--groups × --members takes at most 20000 clients.")
            }
            // A link sends nothing between its messages, and the server closes a connection
            // silent for its idle timeout.
            guard interval >= 0.01, interval <= 30, interval <= duration else {
                throw ValidationError("--interval takes 0.01 to 30 seconds, and no more than --duration.")
            }
        }
    }

    func run() async throws {
        var logger = Logger(label: "wechat-bench")
        logger.logLevel = .error
        let fileLimit = FileDescriptorBudget.raiseLimit()
        let target =
            spawn
            ? try await BenchServer.spawn(chatServers: chatServers, bcryptCost: bcryptCost)
            : BenchServer.attach(gateURL: server, mailboxPath: mailbox!, pid: serverPID)
        defer { target.stop() }
        let scenarios = Scenarios(
            server: target,
            clients: scenario == .group ? groups * members : clients,
            duration: duration,
            logger: logger
        )
        let report: BenchReport
        switch scenario {
        case .saturate: report = try await scenarios.saturate(window: window, messageBytes: messageBytes)
        case .fixed: report = try await scenarios.fixed(rate: rate, messageBytes: messageBytes)
        case .group:
            report = try await scenarios.group(
                groups: groups,
                members: members,
                interval: interval,
                messageBytes: messageBytes
            )
        case .login: report = try await scenarios.login(parallelism: parallelism)
        case .connections: report = try await scenarios.connections(fileLimit: fileLimit)
        }
        print(json ? report.json() : report.text())
    }
}
