import ChatProtocol

/// The readers of a status service's `PresenceFeed`. It lives inside the service's own lock, so
/// a new watcher's snapshot and every change after it come in one order, with nothing between.
public struct PresenceWatchers: Sendable {
    private var continuations: [Int: AsyncStream<PresenceUpdate>.Continuation] = [:]
    private var nextID = 0

    /// How many updates a watcher may fall behind before its stream is ended (it then starts over
    /// from a snapshot): a stuck reader must not grow the status process's memory.
    public static let bufferLimit = 65_536

    public init() {}

    public var isEmpty: Bool { continuations.isEmpty }

    /// A new stream that starts with `snapshot`. `onTermination` gets the watcher's id when its
    /// reader goes away: pass it to `remove` under the same lock.
    public mutating func add(
        snapshot: [UserID: [String]],
        onTermination: @escaping @Sendable (Int) -> Void
    ) -> AsyncStream<PresenceUpdate> {
        let id = nextID
        nextID += 1
        let (stream, continuation) = AsyncStream.makeStream(
            of: PresenceUpdate.self,
            bufferingPolicy: .bufferingOldest(Self.bufferLimit)
        )
        continuation.yield(PresenceUpdate(isSnapshot: true, users: snapshot))
        continuation.onTermination = { _ in onTermination(id) }
        continuations[id] = continuation
        return stream
    }

    public mutating func remove(_ id: Int) {
        continuations.removeValue(forKey: id)
    }

    /// Sends `update` to every watcher; one whose buffer is full is ended, not skipped, so no
    /// copy silently misses a change.
    public mutating func publish(_ update: PresenceUpdate) {
        guard !continuations.isEmpty, !update.users.isEmpty || update.isSnapshot || !update.disconnects.isEmpty
        else { return }
        var overflowed: [Int] = []
        for (id, continuation) in continuations {
            if case .dropped = continuation.yield(update) { overflowed.append(id) }
        }
        for id in overflowed {
            if let continuation = continuations.removeValue(forKey: id) { Self.end(continuation) }
        }
    }

    /// Ends every stream (the service is going away).
    public mutating func finishAll() {
        for continuation in continuations.values { Self.end(continuation) }
        continuations = [:]
    }

    /// Finishes without calling `onTermination`: that takes the service's lock, which the caller
    /// holds.
    private static func end(_ continuation: AsyncStream<PresenceUpdate>.Continuation) {
        continuation.onTermination = nil
        continuation.finish()
    }
}
