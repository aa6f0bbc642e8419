import Synchronization

/// Batches concurrent writes into shared transactions (group commit), for a store whose writes
/// are async (a database across a socket). `SQLiteStores.GroupCommitter` is its blocking twin.
///
/// The first item to find the committer idle starts a drain; everything enqueued while a
/// transaction runs is written together in the next one. Under load a batch holds many items and
/// pays one durable commit; when idle, a lone item is written at once. One batch at a time, so
/// items complete in the order they were enqueued.
final class AsyncGroupCommitter<Item: Sendable, Output: Sendable>: Sendable {
    /// One transaction for a whole batch, one result per item in order.
    typealias BatchWriter = @Sendable ([Item]) async -> [Result<Output, any Error>]
    typealias Completion = @Sendable (Result<Output, any Error>) -> Void

    private struct Pending {
        var items: [(Item, Completion)] = []
        var draining = false
    }

    private let state = Mutex(Pending())
    private let write: BatchWriter
    private let maxBatch: Int

    init(maxBatch: Int = 512, write: @escaping BatchWriter) {
        self.write = write
        self.maxBatch = maxBatch
    }

    /// Queues `item` now, in call order, and returns at once; `completion` runs once its batch
    /// is durable (or has failed).
    func enqueue(_ item: Item, completion: @escaping Completion) {
        let startDrain = state.withLock { pending in
            pending.items.append((item, completion))
            if pending.draining { return false }
            pending.draining = true
            return true
        }
        if startDrain {
            Task { await self.drain() }
        }
    }

    func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(item) { continuation.resume(with: $0) }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLock { pending -> [(Item, Completion)] in
                if pending.items.isEmpty {
                    pending.draining = false
                    return []
                }
                let count = min(pending.items.count, maxBatch)
                let batch = Array(pending.items.prefix(count))
                pending.items.removeFirst(count)
                return batch
            }
            if batch.isEmpty { return }
            let results = await write(batch.map(\.0))
            precondition(results.count == batch.count, "a batch writer returns one result per item")
            for ((_, completion), result) in zip(batch, results) {
                completion(result)
            }
        }
    }
}
