import NIOCore
import Synchronization

/// Every accepted connection of a chat server, signed in or not: what `maxConnections` caps,
/// and what a shutdown asks to finish and then waits for.
final class OpenConnections: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: Channel] = [:]
        var whenEmpty: [CheckedContinuation<Void, Never>] = []
        var shuttingDown = false
    }

    private let state = Mutex(State())

    /// Adds the channel and returns how many are open with it; nil (not added) once shutting down.
    func add(_ channel: Channel) -> Int? {
        state.withLock { state in
            guard !state.shuttingDown else { return nil }
            state.channels[ObjectIdentifier(channel)] = channel
            return state.channels.count
        }
    }

    func remove(_ channel: Channel) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.channels.removeValue(forKey: ObjectIdentifier(channel))
            guard state.channels.isEmpty else { return [] }
            defer { state.whenEmpty = [] }
            return state.whenEmpty
        }
        for waiter in waiters { waiter.resume() }
    }

    func all() -> [Channel] {
        state.withLock { Array($0.channels.values) }
    }

    /// Refuses connections from now on; returns those open.
    func shutDown() -> [Channel] {
        state.withLock { state in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
    }

    /// Returns once every connection has closed.
    func waitUntilEmpty() async {
        await withCheckedContinuation { continuation in
            let empty = state.withLock { state -> Bool in
                if state.channels.isEmpty { return true }
                state.whenEmpty.append(continuation)
                return false
            }
            if empty { continuation.resume() }
        }
    }
}
