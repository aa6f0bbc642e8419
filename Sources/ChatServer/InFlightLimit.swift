import Synchronization

/// A counting limit that suspends `acquire()` while `limit` are taken: how a connection's
/// pipelined messages are capped without blocking a thread.
final class InFlightLimit: Sendable {
    private struct State {
        var taken = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let limit: Int
    private let state = Mutex(State())

    init(_ limit: Int) {
        self.limit = limit
    }

    /// Whether any are taken.
    var isBusy: Bool {
        state.withLock { $0.taken > 0 }
    }

    func acquire() async {
        // The usual case takes a slot without suspending (a suspension per message costs a
        // trip through the scheduler).
        let granted = state.withLock { state -> Bool in
            guard state.taken < limit else { return false }
            state.taken += 1
            return true
        }
        if granted { return }
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state -> Bool in
                if state.taken < limit {
                    state.taken += 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let (next, idle) = state.withLock { state -> (CheckedContinuation<Void, Never>?, [CheckedContinuation<Void, Never>]) in
            if state.waiters.isEmpty {
                state.taken -= 1
                guard state.taken == 0 else { return (nil, []) }
                defer { state.idleWaiters = [] }
                return (nil, state.idleWaiters)
            }
            // The slot passes straight to the next waiter.
            return (state.waiters.removeFirst(), [])
        }
        next?.resume()
        for waiter in idle { waiter.resume() }
    }

    /// Returns once none are taken.
    func waitUntilIdle() async {
        if !isBusy { return }
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                if state.taken == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
