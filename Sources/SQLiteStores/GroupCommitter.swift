import ChatServices
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

    public typealias Completion = @Sendable (Result<Output, Error>) -> Void

    private struct Pending: Sendable {
        var items: [(Item, Completion)] = []
        var draining = false
    }

    private let state = Mutex(Pending())
    private let queue: DispatchQueue
    /// Completions run here, in commit order, so what they do (encoding acks and pushes) overlaps
    /// the next batch's transaction instead of delaying it.
    private let completions: DispatchQueue
    private let write: BatchWriter
    private let maxBatch: Int

    public init(label: String, maxBatch: Int = 1024, write: @escaping BatchWriter) {
        self.queue = DispatchQueue(label: label)
        self.completions = DispatchQueue(label: label + ".completions")
        self.write = write
        self.maxBatch = maxBatch
    }

    /// Queues `item` now, in call order, and returns at once; `completion` runs (on the
    /// completion queue, in commit order) once its batch is durable. Callers that must keep an
    /// order enqueue in that order.
    public func enqueue(_ item: Item, completion: @escaping Completion) {
        let startDrain = state.withLock { pending in
            pending.items.append((item, completion))
            if pending.draining { return false }
            pending.draining = true
            return true
        }
        if startDrain {
            queue.async { self.drain() }
        }
    }

    public func submit(_ item: Item) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(item) { continuation.resume(with: $0) }
        }
    }

    private func drain() {
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
            let results: [Result<Output, Error>]
            do {
                results = try write(batch.map(\.0))
                precondition(results.count == batch.count, "a batch writer returns one result per item")
            } catch {
                results = Array(repeating: .failure(error), count: batch.count)
            }
            completions.async {
                for ((_, completion), result) in zip(batch, results) {
                    completion(result)
                }
            }
        }
    }
}
