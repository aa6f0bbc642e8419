import Synchronization

/// Where the network side drops actions for the UI thread to pick up between key reads.
public final class ActionQueue: Sendable {
    private let actions = Mutex<[Action]>([])

    public init() {}

    public func post(_ action: Action) {
        actions.withLock { $0.append(action) }
    }

    func drain() -> [Action] {
        actions.withLock { actions in
            defer { actions.removeAll(keepingCapacity: true) }
            return actions
        }
    }
}
