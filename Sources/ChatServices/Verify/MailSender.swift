/// A mail to send. The verification code travels only here, never in a log line.
public struct Mail: Sendable, Equatable {
    public var to: String
    public var subject: String
    public var body: String

    public init(to: String, subject: String, body: String) {
        self.to = to
        self.subject = subject
        self.body = body
    }
}

/// Delivers mail: the dev mailbox by default, `SMTPMailSender` (module SMTPMail) for real mail.
public protocol MailSender: Sendable {
    func send(_ mail: Mail) async throws
}
