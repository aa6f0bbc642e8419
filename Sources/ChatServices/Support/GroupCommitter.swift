import Dispatch
import Synchronization

/// Batches concurrent writes into shared transactions (group commit).
///
/// Callers `submit` an item and wait. The first caller to find the committer idle starts a drain
/// on a dedicated queue; everything submitted while a transaction is running is written together
/// in the next one. Under load a batch holds many items and pays one fsync; when idle, a lone item
/// is written at once with no added delay.
///
/// `write` runs one transaction for a whole batch and returns one result per item, in order. An
/// item can fail on its own (`.failure`); a thrown error fails the whole batch.
public final class GroupCommitter<Item: Sendable, Output: Sendable>: Sendable {
    public typealias BatchWriter = @Sendable ([Item]) throws -> [Result<Output, Error>]

    private struct Pending: Sendable {
        var items: [(Item, CheckedContinuation<Output, Error>)] = []
        var draining = false
    }

    private let state = Mutex(Pending())
    private let queue: DispatchQueue
    private let write: BatchWriter
    private let maxBatch: Int

    public init(label: String, maxBatch: Int = 1024, write: @escaping BatchWriter) {
        self.queue = DispatchQueue(label: label)
        self.write = write
        self.maxBatch = maxBatch
    }

    public func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { pending in
                pending.items.append((item, continuation))
                if pending.draining { return false }
                pending.draining = true
                return true
            }
            if startDrain {
                queue.async { self.drain() }
            }
        }
    }

    private func drain() {
        while true {
            let batch = state.withLock { pending -> [(Item, CheckedContinuation<Output, Error>)] in
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
            do {
                let results = try write(batch.map(\.0))
                precondition(results.count == batch.count, "a batch writer returns one result per item")
                for ((_, continuation), result) in zip(batch, results) {
                    continuation.resume(with: result)
                }
            } catch {
                for (_, continuation) in batch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
