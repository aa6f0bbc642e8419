import ChatProtocol

/// Groups of connected users, each member sending to their group, counted per delivery: a
/// message acknowledged to its sender must arrive once at every other member of its group, and
/// is lost once for each member it never reached.
///
/// Latency is one sample per delivery (a message to a group of 50 gives 49), from the sender
/// handing it to its connection to that member decoding the push. The send time travels in the
/// text, as in `MessagingRun`, so no table of messages in flight is shared between event loops:
/// at 20 groups of 50 every message sent is 49 arrivals to time.
final class GroupRun: Sendable {
    let links: [BenchLink]
    let latency: LatencyRecorder
    let totals: BenchTotals

    private init(links: [BenchLink], latency: LatencyRecorder, totals: BenchTotals) {
        self.links = links
        self.latency = latency
        self.totals = totals
    }

    /// Opens one `BenchLink` per member (their setup connections closed already): `groups[g]`,
    /// all of one size, are the members of group `groupIDs[g]`. Links are in the same order.
    static func open(_ groups: [[BenchUser]], groupIDs: [Int64], messageBytes: Int) async throws -> GroupRun {
        let latency = LatencyRecorder()
        let totals = BenchTotals(receiptsPerAck: (groups.first?.count ?? 1) - 1)
        let members = zip(groups, groupIDs).flatMap { users, groupID in users.map { (user: $0, groupID: groupID) } }
        let links = BenchBox<[Int: BenchLink]>([:])
        try await forEach(Array(members.enumerated()), parallelism: 64) { index, member in
            let link = try await BenchLink.open(
                token: member.user.token,
                host: member.user.chatServer.host,
                port: member.user.chatServer.port,
                userID: member.user.id,
                peerID: 0,
                groupID: member.groupID,
                index: index,
                messageBytes: messageBytes,
                latency: latency,
                totals: totals
            )
            links.mutate { $0[index] = link }
        }
        return GroupRun(
            links: links.value.sorted { $0.key < $1.key }.map(\.value),
            latency: latency,
            totals: totals
        )
    }

    /// As `MessagingRun.drain`, with every other member of the group as a message's recipient.
    func drain(seconds: Double) async {
        await totals.settle(quietSeconds: seconds)
    }

    /// Closes the links. Only messages acknowledged to their senders are expected; what a member
    /// received of the others' is set against what they acknowledged, a set lookup per arrival,
    /// once the run is over.
    func fill(_ report: inout BenchReport, seconds: Double) async throws {
        var ackedInGroup: [Int64: Set<Int64>] = [:]
        var members: [(groupID: Int64, ownAcked: Int, received: Set<Int64>)] = []
        var duplicates = 0
        var refusals: [String: Int] = [:]
        for link in links {
            let counts = try await link.counts()
            ackedInGroup[link.groupID, default: []].formUnion(counts.acked)
            members.append((groupID: link.groupID, ownAcked: counts.acked.count, received: counts.received))
            duplicates += counts.duplicates
            refusals.merge(counts.refusals, uniquingKeysWith: +)
            link.close()
        }
        var received = 0
        var expected = 0
        var delivered = 0
        for member in members {
            let acked = ackedInGroup[member.groupID] ?? []
            received += member.received.count
            // A member's own messages come back to it only as acks.
            expected += acked.count - member.ownAcked
            delivered += member.received.lazy.filter { acked.contains($0) }.count
        }
        let messages = ackedInGroup.values.reduce(0) { $0 + $1.count }
        report.sent = totals.sent.load(ordering: .relaxed)
        report.received = received
        report.lost = expected - delivered
        report.duplicated = duplicates
        report.durationSeconds = seconds
        report.msgsPerSec = Double(received) / seconds
        report.latencyUs = .init(latency.snapshot)
        report.notes.append("\(messages) messages acknowledged, \(expected) deliveries expected of them")
        for (code, count) in refusals.sorted(by: { $0.key < $1.key }) {
            report.notes.append("\(count) messages refused: \(code)")
        }
    }
}
