import ChatClient
import ChatProtocol
import Dispatch
import Foundation

/// Pairs of connected users sending to each other, and everything counted: what was
/// acknowledged, what arrived (and how late), what never arrived, what arrived twice.
///
/// Latency runs from the moment the sender hands the message to its connection to the moment the
/// recipient has decoded the push; both ends are in this process, so one monotonic clock serves.
final class MessagingRun: @unchecked Sendable {
    let users: [BenchUser]
    let messageBytes: Int
    let latency = LatencyRecorder()
    private let lock = NSLock()
    private var acked = Set<Int64>()
    private var received = Set<Int64>()
    private var duplicates = 0
    private var sentCount = 0
    private var receivers: [Task<Void, Never>] = []

    init(users: [BenchUser], messageBytes: Int) {
        self.users = users
        self.messageBytes = messageBytes
    }

    func startReceiving() {
        for user in users {
            let me = user.id
            receivers.append(Task {
                for await push in user.connection.pushes {
                    guard case .updatePush(let update) = push.payload, case .message(let message) = update.update.kind,
                          message.senderID != me
                    else { continue }
                    let now = DispatchTime.now().uptimeNanoseconds
                    if let sentAt = Self.timestamp(in: message.text), now > sentAt {
                        self.latency.record(microseconds: (now - sentAt) / 1000)
                    }
                    self.noteReceived(message.id)
                }
            })
        }
    }

    private func noteReceived(_ id: Int64) {
        lock.lock()
        if !received.insert(id).inserted { duplicates += 1 }
        lock.unlock()
    }

    /// Sends one message from `user` to its pair and waits for the ack.
    func send(from index: Int, sequence: Int) async throws {
        let user = users[index]
        let peer = users[index ^ 1]
        var request = WireSendMessage()
        request.toUserID = peer.id
        request.clientMsgID = "\(index)-\(sequence)"
        let stamp = "b\(DispatchTime.now().uptimeNanoseconds);"
        request.text = stamp + String(repeating: "x", count: max(0, messageBytes - stamp.utf8.count))
        guard case .messageAck(let ack) = try await user.connection.request(.sendMessage(request)) else { return }
        lock.withLock {
            acked.insert(ack.message.id)
            sentCount += 1
        }
    }

    /// Waits (at most `seconds`) until everything acknowledged has arrived.
    func drain(seconds: Double) async {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let done = lock.withLock { acked.isSubset(of: received) }
            if done { break }
            try? await Task.sleep(for: .milliseconds(50))
        }
        receivers.forEach { $0.cancel() }
    }

    func fill(_ report: inout BenchReport, seconds: Double) {
        lock.lock()
        defer { lock.unlock() }
        report.sent = sentCount
        report.received = received.count
        report.lost = acked.subtracting(received).count
        report.duplicated = duplicates
        report.durationSeconds = seconds
        report.msgsPerSec = Double(received.count) / seconds
        report.latencyUs = .init(latency.snapshot)
    }

    static func timestamp(in text: String) -> UInt64? {
        guard text.hasPrefix("b"), let end = text.firstIndex(of: ";") else { return nil }
        return UInt64(text[text.index(after: text.startIndex)..<end])
    }
}
