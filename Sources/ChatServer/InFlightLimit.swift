import Synchronization

/// Caps a connection's pipelined messages without blocking a thread or needing a task: a caller
/// that finds every slot taken leaves a callback, and the release that frees a slot hands it
/// straight to that callback.
final class InFlightLimit: Sendable {
    typealias Callback = @Sendable () -> Void

    private struct State {
        var taken = 0
        var waiters: [Callback] = []
        var idleWaiters: [Callback] = []
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

    /// Takes a slot if one is free.
    func tryAcquire() -> Bool {
        state.withLock { state in
            guard state.taken < limit else { return false }
            state.taken += 1
            return true
        }
    }

    /// Takes a slot and returns true, or, with every slot taken, returns false and calls
    /// `whenGranted` later (on the releasing thread) once a slot has been taken for it.
    func acquire(orWhenGranted whenGranted: @escaping Callback) -> Bool {
        state.withLock { state in
            if state.taken < limit {
                state.taken += 1
                return true
            }
            state.waiters.append(whenGranted)
            return false
        }
    }

    func release() {
        let (next, idle) = state.withLock { state -> (Callback?, [Callback]) in
            if state.waiters.isEmpty {
                state.taken -= 1
                guard state.taken == 0, !state.idleWaiters.isEmpty else { return (nil, []) }
                defer { state.idleWaiters = [] }
                return (nil, state.idleWaiters)
            }
            // The slot passes straight to the next waiter.
            return (state.waiters.removeFirst(), [])
        }
        next?()
        for waiter in idle { waiter() }
    }

    /// Calls `callback` once none are taken: at once (on this thread) if none are now,
    /// otherwise on the thread of the release that frees the last.
    func whenIdle(_ callback: @escaping Callback) {
        let idle = state.withLock { state -> Bool in
            if state.taken == 0 { return true }
            state.idleWaiters.append(callback)
            return false
        }
        if idle { callback() }
    }

    /// Returns once none are taken.
    func waitUntilIdle() async {
        if !isBusy { return }
        await withCheckedContinuation { continuation in
            whenIdle { continuation.resume() }
        }
    }
}
