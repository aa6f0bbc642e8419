import Foundation
import Logging
import Synchronization

/// A mail sender for development: appends each mail to `dev-mailbox.txt` in the data directory,
/// and tells anyone listening (the `wechat --serve` screen shows incoming codes).
///
/// Each mail is a block:
/// ```
/// From: WeChat <no-reply@wechat.local>
/// To: alice@example.com
/// Date: 2026-11-27T09:00:00Z
/// Subject: Your WeChat verification code: 123456
///
/// Your verification code is 123456. It expires in 5 minutes.
/// .
/// ```
public final class DevMailbox: MailSender {
    public let path: String
    private let logger: Logger
    private let lock = Mutex(())
    private let listeners = Mutex<[@Sendable (Mail) -> Void]>([])

    public init(directory: String, logger: Logger) {
        self.path = (directory as NSString).appendingPathComponent("dev-mailbox.txt")
        self.logger = logger
    }

    /// Called for every mail sent from now on.
    public func onMail(_ listener: @escaping @Sendable (Mail) -> Void) {
        listeners.withLock { $0.append(listener) }
    }

    public func send(_ mail: Mail) async throws {
        let date = ISO8601DateFormatter().string(from: Date())
        let block = """
            From: WeChat <no-reply@wechat.local>
            To: \(mail.to)
            Date: \(date)
            Subject: \(mail.subject)

            \(mail.body)
            .

            """
        try lock.withLock { _ in
            if !FileManager.default.fileExists(atPath: path) {
                guard
                    FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                else {
                    throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
                }
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(block.utf8))
        }
        logger.info("dev mailbox: mail delivered", metadata: ["to": "\(mail.to)", "file": "\(path)"])
        for listener in listeners.withLock({ $0 }) {
            listener(mail)
        }
    }

    /// The newest code mailed to `email`, read back from the file (for tests and tools).
    public static func latestCode(for email: String, inMailboxAt path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        var code: String?
        var recipient = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("To: ") {
                recipient = String(line.dropFirst(4)).lowercased()
            } else if line.hasPrefix("Subject: "), recipient == email.lowercased(),
                let found = line.split(separator: " ").last, found.count == 6, found.allSatisfy(\.isNumber)
            {
                code = String(found)
            }
        }
        return code
    }
}
