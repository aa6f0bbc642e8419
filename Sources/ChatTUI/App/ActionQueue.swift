import Synchronization

/// Where the network side drops actions for the UI thread to pick up between key reads. Posting
/// wakes the UI thread, which otherwise sleeps until a key or a timer it needs.
public final class ActionQueue: Sendable {
    private let actions = Mutex<[Action]>([])
    /// What the UI thread's wait for a key also waits on.
    public let wake = WakeSignal()

    public init() {}

    public func post(_ action: Action) {
        actions.withLock { $0.append(action) }
        wake.wake()
    }

    func drain() -> [Action] {
        // Cleared before taking: an action posted from here on wakes the next wait.
        wake.clear()
        return actions.withLock { actions in
            defer { actions.removeAll(keepingCapacity: true) }
            return actions
        }
    }
}
