import ChatProtocol

/// Where this device stands in its user's update log, and the rules for moving on: updates are
/// applied in id order, each once, never past a gap. Pushes and sync pages may overlap freely;
/// a gap (a push or a page that skips ahead) is repaired by a pull, and a pull that saw a gap
/// while it ran goes round again.
///
/// The log holds what is not a message: read marks (and friends' read receipts), settings such
/// as mute, and changes to the user's groups. Messages, a friend's or a group's, are not in it
/// since protocol 3: each conversation has its own position (`ConversationPositions`), and a
/// message's ack no longer takes an update id.
///
/// A value, so the rules are tested directly (`SyncCursorTests`); `ChatSession` holds one and
/// moves it only after the cache has stored what it applied.
public struct SyncCursor: Sendable, Equatable {
    /// The id of the last update applied (and stored).
    public private(set) var position: UInt64
    /// A pull is running.
    public private(set) var isPulling = false
    /// A gap was seen since the current pull round began (or, with no pull running, since the
    /// last one): another round is needed.
    public private(set) var gapSeen = false

    public init(position: UInt64) {
        self.position = position
    }

    /// What to do with a pushed update.
    public enum PushDecision: Equatable, Sendable {
        /// It follows on (or was seen already): apply it.
        case apply
        /// It skips ahead: pull what is missing.
        case pull
        /// A pull is running: it will fetch this too (it goes round again).
        case leaveToPull
    }

    public mutating func decide(push updateID: UInt64) -> PushDecision {
        if isPulling {
            gapSeen = true
            return .leaveToPull
        }
        guard updateID <= position + 1 else {
            gapSeen = true
            return .pull
        }
        return .apply
    }

    /// The updates of `updates` that follow on from `position`, in id order and each once, up to
    /// the first gap (which marks `gapSeen`); and the id they reach. nil when nothing is new.
    /// Apply them, store them, then `advance(to:)` that id.
    public mutating func run(of updates: [WireUpdate]) -> (updates: [WireUpdate], through: UInt64)? {
        var next = position
        var run: [WireUpdate] = []
        for update in updates.sorted(by: { $0.updateID < $1.updateID }) {
            guard update.updateID > next else { continue }
            guard update.updateID == next + 1 else {
                gapSeen = true
                break
            }
            run.append(update)
            next = update.updateID
        }
        return run.isEmpty ? nil : (run, next)
    }

    /// The updates up to `id` are stored.
    public mutating func advance(to id: UInt64) {
        position = max(position, id)
    }

    /// Starts a pull; false if one is running already.
    public mutating func beginPull() -> Bool {
        guard !isPulling else { return false }
        isPulling = true
        return true
    }

    /// Starts a round of sync pages: gaps seen from now on call for another.
    public mutating func beginRound() {
        gapSeen = false
    }

    public mutating func endPull() {
        isPulling = false
    }

    /// The server's log ends at `latest`. Behind this cursor means the server's data was reset:
    /// the cursor starts over from 0 (true), so everything the server has is fetched again.
    public mutating func serverLog(endsAt latest: UInt64) -> Bool {
        guard latest < position else { return false }
        position = 0
        return true
    }
}
