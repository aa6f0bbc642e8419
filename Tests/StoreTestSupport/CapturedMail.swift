import ChatServices
import Synchronization

/// A mail sender that keeps what it is given, and fails on demand (the mail server is down).
public final class CapturedMail: MailSender {
    public struct Down: Error {}

    public let sent = Mutex<[Mail]>([])
    public let failing = Atomic(false)

    public init() {}

    public func send(_ mail: Mail) async throws {
        if failing.load(ordering: .relaxed) { throw Down() }
        sent.withLock { $0.append(mail) }
    }

    /// The code in the newest mail to `email` (the subject ends with it).
    public func lastCode(to email: String) -> String? {
        sent.withLock { $0.last { $0.to == email }.map { String($0.subject.suffix(6)) } }
    }
}
