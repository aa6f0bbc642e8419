import NIOCore

/// Sends the fixed-rate messages of every link on one event loop, from one timer.
///
/// A timer per link (NIO's `scheduleTask` for each message) cost the generator more than the
/// messages did: perf of `fixed --clients 1000` put a sixth of its time in NIO's scheduled-task
/// heap, and each message woke the loop on its own. One timer per loop wakes at most once a
/// `tick` and sends everything due by then, so a message leaves up to a tick after its time (more
/// only if the loop itself falls behind). The latency measured does not include that wait: as the
/// issue defines it, it runs from the hand-off to the connection. The sends of a tick reach the
/// server together, a burst of about rate × clients / 1,000 / loops messages.
///
/// Link `i` sends at `first[i] + n × interval` for n = 0, 1, … `messagesEach - 1`. With the
/// links ordered by their first time, all within one interval, those times come in round-robin
/// order, so a cursor and a round number walk them in time order with no heap at all.
///
/// Unchecked: touched on its event loop only.
final class FixedRateDriver: @unchecked Sendable {
    static let tick = TimeAmount.milliseconds(1)

    private let eventLoop: EventLoop
    private let links: [BenchLink]
    private let first: [NIODeadline]
    private let interval: TimeAmount
    private let messagesEach: Int64
    private let totals: BenchTotals
    private var cursor = 0
    private var round: Int64 = 0

    /// `schedule` holds each link with its first send, every one within `interval` of the
    /// earliest; every link runs on `eventLoop`.
    init(
        eventLoop: EventLoop,
        schedule: [(link: BenchLink, first: NIODeadline)],
        interval: TimeAmount,
        messagesEach: Int,
        totals: BenchTotals
    ) {
        let ordered = schedule.sorted { $0.first < $1.first }
        precondition(ordered.allSatisfy { $0.link.eventLoop === eventLoop }, "a driver sends only on its own loop")
        precondition(
            ordered.isEmpty || ordered.last!.first < ordered.first!.first + interval,
            "first sends lie within one interval"
        )
        self.eventLoop = eventLoop
        self.links = ordered.map(\.link)
        self.first = ordered.map(\.first)
        self.interval = interval
        self.messagesEach = Int64(messagesEach)
        self.totals = totals
    }

    /// Starts sending; counted in `totals.schedulesRunning` until its last message is sent.
    func start() {
        guard !links.isEmpty, messagesEach > 0 else { return }
        totals.schedulesRunning.add(1, ordering: .relaxed)
        eventLoop.scheduleTask(deadline: first[0]) { self.fire() }
    }

    private var nextDue: NIODeadline {
        first[cursor] + .nanoseconds(interval.nanoseconds * round)
    }

    private func fire() {
        let now = NIODeadline.now()
        while round < messagesEach, nextDue <= now {
            links[cursor].sendScheduled()
            cursor += 1
            if cursor == links.count {
                cursor = 0
                round += 1
            }
        }
        guard round < messagesEach else {
            totals.schedulesRunning.subtract(1, ordering: .relaxed)
            return
        }
        eventLoop.scheduleTask(deadline: max(nextDue, now + Self.tick)) { self.fire() }
    }
}
