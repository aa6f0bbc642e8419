import ChatClient
import ChatProtocol
import Foundation
import GateServer
import Testing

/// The gate's HTTP connections under attack: idle and slow-header sockets are closed, one
/// address cannot hold more than its share, and everyone else still signs in meanwhile.
@Suite struct GateConnectionLimitsTests {
    static func gatePort(_ stack: TestStack) -> Int { URL(string: stack.gateURL)!.port! }

    @Test func idleAndSlowHeaderConnectionsAreClosed() async throws {
        try await withTestStack(gateLimits: GateConnectionLimits(idleTimeoutSeconds: 1)) { stack in
            let port = Self.gatePort(stack)
            let idle = try (0..<8).map { _ in try RawTCPSocket(to: port) }
            let slow = try RawTCPSocket(to: port)
            slow.send("POST /api/v1/sessions HTTP/1.1\r\nHost: gate\r\n")
            let slowFeeder = Task {
                for _ in 0..<20 {
                    try await Task.sleep(for: .milliseconds(200))
                    slow.send("X")
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            // The bound is generous: it only catches a socket that is never closed. (Under a busy
            // test run the gate may take a while even to accept one.)
            let deadline = Date().addingTimeInterval(30)
            var open = 0
            for socket in idle where !(await socket.isClosedByPeer(within: max(0.1, deadline.timeIntervalSinceNow))) {
                open += 1
            }
            #expect(open == 0, "\(open) of 8 idle connections still open")
            #expect(await slow.isClosedByPeer(within: 10), "a head sent a byte at a time is cut off")
            slowFeeder.cancel()
        }
    }

    @Test func oneAddressHoldsOnlyItsShareAndOthersStillSignIn() async throws {
        let limits = GateConnectionLimits(idleTimeoutSeconds: 60, maxConnections: 2_048, maxConnectionsPerAddress: 8)
        try await withTestStack(gateLimits: limits) { stack in
            try await stack.register("alice")
            let port = Self.gatePort(stack)
            let held = try (0..<12).map { _ in try RawTCPSocket(to: port, from: "127.0.0.2") }
            var closed = 0
            for socket in held where await socket.isClosedByPeer(within: 0.5) { closed += 1 }
            #expect(closed == 4, "\(closed) of 12 closed; the address may hold 8")
            // Someone at another address is not affected.
            let login = try await stack.gate.login(account: "alice", password: "correct horse")
            #expect(!login.token.isEmpty)
            withExtendedLifetime(held) {}
        }
    }

    /// Past the total cap the gate stops accepting; those waiting are taken in as soon as
    /// connections close (here, the idle ones, after the idle timeout).
    @Test func pastTheTotalCapNewClientsWaitAndAreServedOnceSlotsFree() async throws {
        let limits = GateConnectionLimits(idleTimeoutSeconds: 2, maxConnections: 10, maxConnectionsPerAddress: 5)
        try await withTestStack(gateLimits: limits) { stack in
            let port = Self.gatePort(stack)
            let held = try (0..<10).map { index in try RawTCPSocket(to: port, from: "127.0.0.\(2 + index / 5)") }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            let newcomer = try RawTCPSocket(to: port)
            newcomer.send("GET /api/v1/health HTTP/1.1\r\nHost: gate\r\nConnection: close\r\n\r\n")
            #expect(await newcomer.firstReply(within: 1) == nil, "served although the gate was full")
            let reply = await newcomer.firstReply(within: 10)
            #expect(reply?.hasPrefix("HTTP/1.1 200") == true, "\(reply ?? "no reply")")
            #expect(ContinuousClock.now - started > .seconds(1))
            withExtendedLifetime(held) {}
        }
    }
}
