import ChatServices
import Dispatch
import Foundation
import SQLiteStores
import StoreTestSupport
import Testing

@Suite("GroupCommitter")
struct GroupCommitterTests {
    struct ItemFailure: Error, Equatable {
        let item: Int
    }

    struct BatchFailure: Error, Equatable {}

    /// Submits every item concurrently and collects each one's outcome.
    private func submitConcurrently(
        _ items: [Int],
        to committer: GroupCommitter<Int, Int>
    ) async -> [Int: Result<Int, Error>] {
        await withTaskGroup(of: (Int, Result<Int, Error>).self) { group in
            for item in items {
                group.addTask {
                    do {
                        return (item, .success(try await committer.submit(item)))
                    } catch {
                        return (item, .failure(error))
                    }
                }
            }
            var outcomes: [Int: Result<Int, Error>] = [:]
            for await (item, outcome) in group {
                #expect(!outcomes.keys.contains(item), "item \(item) answered twice")
                outcomes[item] = outcome
            }
            return outcomes
        }
    }

    @Test func everyConcurrentSubmitGetsItsOwnResult() async throws {
        let batches = Locked<[[Int]]>([])
        let committer = GroupCommitter<Int, Int>(label: "test.group-commit.results") { items in
            batches.withLock { $0.append(items) }
            return items.map { .success($0 * 10 + 1) }
        }
        let items = Array(0..<200)
        let outcomes = await submitConcurrently(items, to: committer)

        #expect(outcomes.count == 200)
        for item in items {
            let outcome = try #require(outcomes[item])
            #expect(try outcome.get() == item * 10 + 1)
        }
        // Every item was written exactly once.
        let written = batches.value.flatMap { $0 }
        #expect(written.sorted() == items)
    }

    @Test func concurrentSubmitsShareBatches() async throws {
        let batchCount = Locked(0)
        let itemCount = Locked(0)
        let largestBatch = Locked(0)
        let committer = GroupCommitter<Int, Int>(label: "test.group-commit.batching") { items in
            batchCount.withLock { $0 += 1 }
            itemCount.withLock { $0 += items.count }
            largestBatch.withLock { $0 = max($0, items.count) }
            // A transaction with an fsync takes a while; submits arriving meanwhile queue up.
            Thread.sleep(forTimeInterval: 0.001)
            return items.map { .success($0) }
        }
        let outcomes = await submitConcurrently(Array(0..<200), to: committer)

        #expect(outcomes.count == 200)
        #expect(outcomes.allSatisfy { (try? $0.value.get()) == $0.key })
        #expect(itemCount.value == 200)
        #expect(batchCount.value < 200, "no batching happened: \(batchCount.value) batches for 200 items")
        #expect(largestBatch.value > 1)
    }

    @Test func batchesNeverExceedMaxBatch() async throws {
        let sizes = Locked<[Int]>([])
        let committer = GroupCommitter<Int, Int>(label: "test.group-commit.max-batch", maxBatch: 5) { items in
            sizes.withLock { $0.append(items.count) }
            Thread.sleep(forTimeInterval: 0.001)
            return items.map { .success(-$0) }
        }
        let outcomes = await submitConcurrently(Array(1...60), to: committer)

        #expect(outcomes.count == 60)
        for (item, outcome) in outcomes {
            #expect(try outcome.get() == -item)
        }
        let recorded = sizes.value
        #expect(recorded.reduce(0, +) == 60)
        #expect(recorded.allSatisfy { (1...5).contains($0) }, "batch sizes \(recorded)")
        #expect(recorded.count >= 12)
    }

    @Test func loneSubmitsAreWrittenAtOnceOneByOne() async throws {
        let batches = Locked<[[Int]]>([])
        let committer = GroupCommitter<Int, Int>(label: "test.group-commit.lone") { items in
            batches.withLock { $0.append(items) }
            return items.map { .success($0 + 100) }
        }
        for item in 0..<5 {
            #expect(try await committer.submit(item) == item + 100)
        }
        #expect(batches.value == [[0], [1], [2], [3], [4]])
    }

    @Test func oneFailingItemDoesNotFailTheOthers() async throws {
        let committer = GroupCommitter<Int, Int>(label: "test.group-commit.item-failure") { items in
            Thread.sleep(forTimeInterval: 0.001)
            return items.map { item in
                item % 7 == 0 ? .failure(ItemFailure(item: item)) : .success(item * 2)
            }
        }
        let outcomes = await submitConcurrently(Array(1...100), to: committer)

        #expect(outcomes.count == 100)
        for (item, outcome) in outcomes {
            switch outcome {
            case .success(let value):
                #expect(item % 7 != 0, "item \(item) should have failed")
                #expect(value == item * 2)
            case .failure(let error):
                #expect(item % 7 == 0, "item \(item) failed: \(error)")
                #expect((error as? ItemFailure) == ItemFailure(item: item))
            }
        }
        // The committer is still healthy afterwards.
        #expect(try await committer.submit(3) == 6)
        await #expect(throws: ItemFailure(item: 14)) {
            try await committer.submit(14)
        }
    }

    @Test func thrownErrorFailsTheWholeBatch() async throws {
        let poison = 13
        let gate = DispatchSemaphore(value: 0)
        let blocked = Locked(false)
        let batches = Locked<[[Int]]>([])
        let committer = GroupCommitter<Int, Int>(label: "test.group-commit.batch-failure") { items in
            batches.withLock { $0.append(items) }
            if items == [-1] {
                // Hold the first transaction so everything submitted meanwhile lands in one batch.
                blocked.withLock { $0 = true }
                gate.wait()
            }
            if items.contains(poison) { throw BatchFailure() }
            return items.map { .success($0 + 1000) }
        }
        // Never leave the writer's queue blocked, whatever happens below.
        defer { gate.signal() }

        let blocker = Task { try await committer.submit(-1) }
        while !blocked.value {
            try await Task.sleep(for: .milliseconds(1))
        }

        let items = Array(0..<20)
        let started = Locked(0)
        let outcomes = await withTaskGroup(of: (Int, Result<Int, Error>).self) { group in
            for item in items {
                group.addTask {
                    started.withLock { $0 += 1 }
                    do {
                        return (item, .success(try await committer.submit(item)))
                    } catch {
                        return (item, .failure(error))
                    }
                }
            }
            // Let every submit queue up behind the held transaction, then let it finish.
            while started.value < items.count {
                try? await Task.sleep(for: .milliseconds(1))
            }
            try? await Task.sleep(for: .milliseconds(20))
            gate.signal()
            var outcomes: [Int: Result<Int, Error>] = [:]
            for await (item, outcome) in group { outcomes[item] = outcome }
            return outcomes
        }
        #expect(try await blocker.value == 999)

        let recorded = batches.value
        let poisoned = Set(recorded.filter { $0.contains(poison) }.flatMap { $0 })
        #expect(poisoned.contains(poison))
        #expect(poisoned.count > 1, "the poisoned item did not share its batch: \(recorded)")
        #expect(outcomes.count == items.count)
        for (item, outcome) in outcomes {
            if poisoned.contains(item) {
                #expect(throws: BatchFailure.self, "item \(item) shared the failed batch") {
                    try outcome.get()
                }
            } else {
                #expect(try outcome.get() == item + 1000)
            }
        }

        // The failure was that batch's only: later submits succeed.
        #expect(try await committer.submit(5) == 1005)
    }

    @Test func loneSubmitFailsWithTheThrownError() async throws {
        let committer = GroupCommitter<Int, Int>(label: "test.group-commit.always-throws") { _ in
            throw BatchFailure()
        }
        await #expect(throws: BatchFailure()) {
            try await committer.submit(1)
        }
        await #expect(throws: BatchFailure()) {
            try await committer.submit(2)
        }
    }
}
