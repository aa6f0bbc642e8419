import ChatServices
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import SMTPMail
import StoreTestSupport
import Testing

/// Verification mail through a real SMTP conversation with `SMTPSink` on loopback.
@Suite struct SMTPMailSenderTests {
    static let mail = Mail(
        to: "alice@example.com",
        subject: "Your WeChat verification code: 123456",
        body: "Your verification code is 123456.\n.A line that starts with a dot.\nIt expires in 5 minutes."
    )

    static func withCertificate<T>(_ body: ((cert: String, key: String)) async throws -> T) async throws -> T {
        try await withTemporaryDirectory { directory in
            try await body(try TestCertificate.make(in: directory.path))
        }
    }

    /// The default `timeout` is generous on purpose: a whole conversation with two TLS handshakes
    /// in a debug build once took over 10 s while the full suite started up on two loaded cores.
    /// Only the timeout test depends on the value, and it passes its own.
    static func sender(
        port: Int,
        security: SMTPConfiguration.Security,
        user: String? = nil,
        password: String? = nil,
        cert: String? = nil,
        timeout: TimeAmount = .seconds(60)
    ) throws -> SMTPMailSender {
        try SMTPMailSender(
            SMTPConfiguration(
                host: "127.0.0.1",
                port: port,
                security: security,
                username: user,
                password: password,
                from: "no-reply@wechat.test",
                timeout: timeout,
                trustRoots: try cert.map { .certificates(try NIOSSLCertificate.fromPEMFile($0)) } ?? .default
            ),
            logger: .quiet
        )
    }

    @Test func aMailArrivesWhole() async throws {
        let sink = try await SMTPSink()
        try await Self.sender(port: sink.port, security: .none).send(Self.mail)
        let received = try #require(sink.mails.first)
        #expect(received.from == "no-reply@wechat.test")
        #expect(received.recipients == ["alice@example.com"])
        let (headers, body) = try #require(Self.split(received.data))
        #expect(headers.contains("Subject: Your WeChat verification code: 123456"))
        #expect(headers.contains("To: <alice@example.com>"))
        #expect(headers.contains("From: WeChat <no-reply@wechat.test>"))
        #expect(headers.contains { $0.hasPrefix("Date: ") && $0.hasSuffix("+0000") })
        #expect(headers.contains { $0.hasPrefix("Message-ID: <") })
        // The dot-led line was doubled on the wire and undoubled by the server.
        #expect(
            body == "Your verification code is 123456.\r\n.A line that starts with a dot.\r\nIt expires in 5 minutes."
        )
        #expect(sink.sessions.first?.commands.last == "QUIT")
        await sink.close()
    }

    @Test func startTLSComesBeforeTheCredentials() async throws {
        try await Self.withCertificate { tls in
            let sink = try await SMTPSink(.init(tls: tls, credentials: ("mailer", "s3cret pass")))
            let sender = try Self.sender(
                port: sink.port,
                security: .startTLS,
                user: "mailer",
                password: "s3cret pass",
                cert: tls.cert
            )
            try await sender.send(Self.mail)
            let session = try #require(sink.sessions.first)
            #expect(session.authenticated == "mailer")
            #expect(session.tlsWhenAuthenticating)
            #expect(!session.sawPasswordInClear)
            // EHLO, STARTTLS, then EHLO again over TLS before AUTH.
            #expect(session.commands.prefix(3).map { $0.split(separator: " ")[0] } == ["EHLO", "STARTTLS", "EHLO"])
            #expect(sink.mails.count == 1)
            await sink.close()
        }
    }

    @Test func authLoginIsUsedWhenPlainIsNotOffered() async throws {
        try await Self.withCertificate { tls in
            var options = SMTPSink.Options(tls: tls, credentials: ("mailer", "pw"))
            options.authMechanisms = ["LOGIN"]
            let sink = try await SMTPSink(options)
            try await Self.sender(port: sink.port, security: .startTLS, user: "mailer", password: "pw", cert: tls.cert)
                .send(Self.mail)
            #expect(sink.sessions.first?.authenticated == "mailer")
            #expect(sink.mails.count == 1)
            await sink.close()
        }
    }

    @Test func aServerWithoutStartTLSGetsNoPassword() async throws {
        let sink = try await SMTPSink(.init(credentials: ("mailer", "pw")))
        let error = await #expect(throws: SMTPError.self) {
            try await Self.sender(port: sink.port, security: .startTLS, user: "mailer", password: "pw").send(Self.mail)
        }
        #expect(error == .startTLSNotOffered("127.0.0.1:\(sink.port)"))
        let session = try #require(sink.sessions.first)
        #expect(session.commands.allSatisfy { !$0.uppercased().hasPrefix("AUTH") })
        #expect(!session.sawPasswordInClear)
        #expect(sink.mails.isEmpty)
        await sink.close()
    }

    @Test func aWrongPasswordIsRefusedInWordsWithoutThePassword() async throws {
        try await Self.withCertificate { tls in
            let sink = try await SMTPSink(.init(tls: tls, credentials: ("mailer", "right")))
            let error = await #expect(throws: SMTPError.self) {
                try await Self.sender(
                    port: sink.port,
                    security: .startTLS,
                    user: "mailer",
                    password: "wrong-one",
                    cert: tls.cert
                )
                .send(Self.mail)
            }
            #expect(error == .refused(step: "the sign-in", reply: "535 5.7.8 authentication failed"))
            #expect(!"\(String(describing: error))".contains("wrong-one"))
            #expect(sink.mails.isEmpty)
            await sink.close()
        }
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        try await Self.withCertificate { tls in
            let sink = try await SMTPSink(.init(tls: tls))
            let error = await #expect(throws: SMTPError.self) {
                // The system's roots do not include the test's self-signed certificate.
                try await Self.sender(port: sink.port, security: .startTLS).send(Self.mail)
            }
            #expect("\(String(describing: error))".contains("127.0.0.1:\(sink.port)"))
            #expect(sink.mails.isEmpty)
            await sink.close()
        }
    }

    @Test func aSilentServerTimesOutAndAClosedPortIsUnreachable() async throws {
        let sink = try await SMTPSink(.init(silent: true))
        let started = ContinuousClock.now
        let silent = await #expect(throws: SMTPError.self) {
            try await Self.sender(port: sink.port, security: .none, timeout: .milliseconds(300)).send(Self.mail)
        }
        #expect(silent == .timedOut("127.0.0.1:\(sink.port)"))
        // Given up on, not hung (generous: a busy test machine is slow).
        #expect(ContinuousClock.now - started < .seconds(20))
        await sink.close()

        // Port 1: nothing listens there (a closed sink's port may already be another test's).
        let closed = await #expect(throws: SMTPError.self) {
            try await Self.sender(port: 1, security: .none).send(Self.mail)
        }
        guard case .unreachable = closed else {
            Issue.record("expected unreachable, got \(String(describing: closed))")
            return
        }
    }

    @Test func hostileFieldsCannotAddHeadersOrRecipients() async throws {
        let sink = try await SMTPSink()
        let sender = try Self.sender(port: sink.port, security: .none)
        await #expect(throws: SMTPError.invalidAddress("eve@example.com>\r\nRCPT TO:<mallory@example.com")) {
            try await sender.send(Mail(to: "eve@example.com>\r\nRCPT TO:<mallory@example.com", subject: "x", body: "x"))
        }
        try await sender.send(
            Mail(to: "bob@example.com", subject: "Hi\r\nBcc: mallory@example.com", body: "Grüße, 你好 👋")
        )
        let received = try #require(sink.mails.first)
        #expect(received.recipients == ["bob@example.com"])
        let (headers, body) = try #require(Self.split(received.data))
        #expect(!headers.contains { $0.hasPrefix("Bcc:") })
        #expect(headers.contains("Subject: Hi  Bcc: mallory@example.com"))
        #expect(headers.contains("Content-Transfer-Encoding: base64"))
        #expect(
            String(
                decoding: Data(base64Encoded: body.replacingOccurrences(of: "\r\n", with: "")) ?? Data(),
                as: UTF8.self
            ) == "Grüße, 你好 👋"
        )
        await sink.close()
    }

    /// A message's header lines and its body.
    static func split(_ data: String) -> ([String], String)? {
        guard let blank = data.range(of: "\r\n\r\n") else { return nil }
        return (data[..<blank.lowerBound].components(separatedBy: "\r\n"), String(data[blank.upperBound...]))
    }
}
