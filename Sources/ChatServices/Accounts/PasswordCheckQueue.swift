import ChatProtocol
import NIOCore
import Synchronization

/// Runs sign-ins' bcrypt checks a few at a time, shared fairly between client addresses.
///
/// bcrypt is meant to be slow (tens of milliseconds of a core each), so it is what a flood of
/// sign-ins spends. Without this queue, 180 sign-ins sent at once from one address all ran, and an
/// unrelated person's sign-in waited behind them for seconds. Here:
/// - at most `width` checks run at once (the cores), the rest wait;
/// - the waiting are served address by address in turn, so a newcomer waits behind at most one
///   check per other busy address, however many one address sent;
/// - one address, and one account, may have only `perAddress` / `perAccount` checks admitted
///   (running or waiting) at once; beyond that, and beyond `maxWaiting` in all, the answer is
///   `rate_limited` / `unavailable` at once, before any work.
public final class PasswordCheckQueue: Sendable {
    private struct Waiter {
        let id: UInt64
        let account: String
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var running = 0
        var waiting = 0
        /// Waiters by address, and the order in which addresses take their turn.
        var queues: [String: [Waiter]] = [:]
        var turns: [String] = []
        /// Checks admitted (running or waiting) per address and per account.
        var admittedByAddress: [String: Int] = [:]
        var admittedByAccount: [String: Int] = [:]
        var nextID: UInt64 = 0
    }

    let width: Int
    let perAddress: Int
    let perAccount: Int
    let maxWaiting: Int
    private let state = Mutex(State())

    public init(
        width: Int = max(1, System.coreCount),
        perAddress: Int = 4,
        perAccount: Int = 2,
        maxWaiting: Int = 256
    ) {
        self.width = width
        self.perAddress = perAddress
        self.perAccount = perAccount
        self.maxWaiting = maxWaiting
    }

    /// Runs `check` when its turn comes; throws at once when the address, the account or the
    /// queue is full.
    public func run<T: Sendable>(
        address: String,
        account: String,
        _ check: () async throws -> T
    ) async throws -> T {
        try await admit(address: address, account: account)
        defer { finish(address: address, account: account) }
        return try await check()
    }

    /// Admits the check, refuses it, or queues it, all under one lock, so a slot freed meanwhile
    /// cannot be missed.
    private func admit(address: String, account: String) async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let refusal: (any Error)? = state.withLock { state in
                    // Cancelled before it could queue: `onCancel` found nothing to remove.
                    if Task.isCancelled { return CancellationError() }
                    if state.admittedByAddress[address, default: 0] >= perAddress {
                        return ChatError.rateLimited("Too many sign-ins at once from your network.", retryAfter: 1)
                    }
                    if state.admittedByAccount[account, default: 0] >= perAccount {
                        return ChatError.rateLimited("Too many sign-ins at once for this account.", retryAfter: 1)
                    }
                    if state.running >= width, state.waiting >= maxWaiting {
                        return ChatError(
                            .unavailable,
                            "The server is busy signing people in. Try again in a moment.",
                            retryAfterSeconds: 1
                        )
                    }
                    state.admittedByAddress[address, default: 0] += 1
                    state.admittedByAccount[account, default: 0] += 1
                    if state.running < width {
                        state.running += 1
                        continuation.resume()
                        return nil
                    }
                    state.waiting += 1
                    if state.queues[address] == nil { state.turns.append(address) }
                    state.queues[address, default: []].append(
                        Waiter(id: id, account: account, continuation: continuation)
                    )
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) }
            }
        } onCancel: {
            cancel(id, address: address)
        }
    }

    /// A check ended: the next address in turn gets the slot, or the slot is freed.
    private func finish(address: String, account: String) {
        let next: Waiter? = state.withLock { state in
            Self.release(address: address, account: account, in: &state)
            guard let turn = state.turns.first, var queue = state.queues[turn], !queue.isEmpty else {
                state.running -= 1
                return nil
            }
            let waiter = queue.removeFirst()
            state.waiting -= 1
            state.turns.removeFirst()
            if queue.isEmpty {
                state.queues[turn] = nil
            } else {
                state.queues[turn] = queue
                state.turns.append(turn)
            }
            return waiter
        }
        next?.continuation.resume()
    }

    /// A waiter's task was cancelled (its client went away): it leaves the queue.
    private func cancel(_ id: UInt64, address: String) {
        let removed: Waiter? = state.withLock { state in
            guard var queue = state.queues[address], let index = queue.firstIndex(where: { $0.id == id }) else {
                return nil
            }
            let waiter = queue.remove(at: index)
            state.waiting -= 1
            Self.release(address: address, account: waiter.account, in: &state)
            if queue.isEmpty {
                state.queues[address] = nil
                state.turns.removeAll { $0 == address }
            } else {
                state.queues[address] = queue
            }
            return waiter
        }
        removed?.continuation.resume(throwing: CancellationError())
    }

    private static func release(address: String, account: String, in state: inout State) {
        state.admittedByAddress[address, default: 1] -= 1
        if state.admittedByAddress[address] == 0 { state.admittedByAddress[address] = nil }
        state.admittedByAccount[account, default: 1] -= 1
        if state.admittedByAccount[account] == 0 { state.admittedByAccount[account] = nil }
    }
}
