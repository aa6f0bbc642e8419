import ChatProtocol
import Synchronization
import Testing

@testable import ChatServices

/// The queue's rules, with checks the test holds open and releases by hand.
@Suite struct PasswordCheckQueueTests {
    /// A check that waits until the test lets it finish, and records when it started.
    final class Gate: Sendable {
        let started = Mutex<[String]>([])
        let open = Mutex<[String: CheckedContinuation<Void, Never>]>([:])

        func check(_ name: String) async {
            await withCheckedContinuation { continuation in
                open.withLock { $0[name] = continuation }
                started.withLock { $0.append(name) }
            }
        }

        func finish(_ name: String) {
            open.withLock { $0.removeValue(forKey: name) }?.resume()
        }

        func waitForStart(_ count: Int) async throws {
            for _ in 0..<500 where started.withLock({ $0.count }) < count {
                try await Task.sleep(for: .milliseconds(2))
            }
            #expect(started.withLock { $0.count } >= count)
        }
    }

    @Test func waitingChecksAreServedAddressByAddressInTurn() async throws {
        let queue = PasswordCheckQueue(width: 1, perAddress: 4, perAccount: 4)
        let gate = Gate()
        var tasks: [Task<Void, any Error>] = []
        func start(_ name: String, from address: String) async throws {
            tasks.append(Task { try await queue.run(address: address, account: name) { await gate.check(name) } })
            try await Task.sleep(for: .milliseconds(20))
        }
        try await start("flood-1", from: "a")
        try await gate.waitForStart(1)
        for index in 2...4 { try await start("flood-\(index)", from: "a") }
        try await start("other", from: "b")
        // The flooding address may not have a fifth admitted.
        let refused = await #expect(throws: ChatError.self) {
            try await queue.run(address: "a", account: "flood-5") { await gate.check("flood-5") }
        }
        #expect(refused?.code == .rateLimited)
        for (index, name) in ["flood-1", "flood-2", "other", "flood-3", "flood-4"].enumerated() {
            try await gate.waitForStart(index + 1)
            gate.finish(name)
        }
        for task in tasks { try await task.value }
        // "other" came last but waited behind one check of the flooding address only.
        #expect(gate.started.withLock { $0 } == ["flood-1", "flood-2", "other", "flood-3", "flood-4"])
    }

    @Test func oneAccountMayHaveOnlyAFewChecksAtOnceAndACancelledWaiterLeaves() async throws {
        let queue = PasswordCheckQueue(width: 1, perAddress: 10, perAccount: 2)
        let gate = Gate()
        let first = Task { try await queue.run(address: "a", account: "alice") { await gate.check("first") } }
        try await gate.waitForStart(1)
        let second = Task { try await queue.run(address: "b", account: "alice") { await gate.check("second") } }
        try await Task.sleep(for: .milliseconds(20))
        let third = await #expect(throws: ChatError.self) {
            try await queue.run(address: "c", account: "alice") { await gate.check("third") }
        }
        #expect(third?.code == .rateLimited)
        second.cancel()
        await #expect(throws: CancellationError.self) { try await second.value }
        gate.finish("first")
        try await first.value
        // Both slots of the account are free again.
        let again = Task { try await queue.run(address: "d", account: "alice") { await gate.check("again") } }
        try await gate.waitForStart(2)
        gate.finish("again")
        try await again.value
        #expect(gate.started.withLock { $0 } == ["first", "again"])
    }
}
