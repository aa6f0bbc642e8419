import ChatClient
import ChatProtocol
import Foundation
import NIOCore

/// Pairs of connected users sending to each other, and everything counted: what was
/// acknowledged, what arrived (and how late), what never arrived, what arrived twice.
///
/// Latency runs from the moment the sender hands the message to its connection to the moment the
/// recipient has decoded the push; both ends are in this process, so one monotonic clock serves.
/// User `i` sends to user `i ^ 1`.
final class MessagingRun: Sendable {
    let links: [BenchLink]
    let latency: LatencyRecorder
    let totals: BenchTotals

    private init(links: [BenchLink], latency: LatencyRecorder, totals: BenchTotals) {
        self.links = links
        self.latency = latency
        self.totals = totals
    }

    /// Opens one `BenchLink` per user (their setup connections closed already).
    static func open(_ users: [BenchUser], messageBytes: Int) async throws -> MessagingRun {
        let latency = LatencyRecorder()
        let totals = BenchTotals()
        let links = BenchBox<[Int: BenchLink]>([:])
        try await forEach(Array(users.enumerated()), parallelism: 64) { index, user in
            let link = try await BenchLink.open(
                token: user.token,
                host: user.chatServer.host,
                port: user.chatServer.port,
                userID: user.id,
                peerID: users[index ^ 1].id,
                index: index,
                messageBytes: messageBytes,
                latency: latency,
                totals: totals
            )
            links.mutate { $0[index] = link }
        }
        return MessagingRun(
            links: links.value.sorted { $0.key < $1.key }.map(\.value),
            latency: latency,
            totals: totals
        )
    }

    /// Waits until every message sent is answered and everything acknowledged has arrived: as
    /// long as answers or arrivals keep coming (an overloaded server is late, not lossy), and at
    /// most `seconds` after they stop. What has not arrived then counts as lost.
    func drain(seconds: Double) async {
        await totals.settle(quietSeconds: seconds)
    }

    func fill(_ report: inout BenchReport, seconds: Double) async throws {
        var acked = Set<Int64>()
        var received = Set<Int64>()
        var duplicates = 0
        var refusals: [String: Int] = [:]
        for link in links {
            let counts = try await link.counts()
            acked.formUnion(counts.acked)
            received.formUnion(counts.received)
            duplicates += counts.duplicates
            refusals.merge(counts.refusals, uniquingKeysWith: +)
            link.close()
        }
        report.sent = totals.sent.load(ordering: .relaxed)
        report.received = received.count
        report.lost = acked.subtracting(received).count
        report.duplicated = duplicates
        report.durationSeconds = seconds
        report.msgsPerSec = Double(received.count) / seconds
        report.latencyUs = .init(latency.snapshot)
        for (code, count) in refusals.sorted(by: { $0.key < $1.key }) {
            report.notes.append("\(count) messages refused: \(code)")
        }
    }
}
