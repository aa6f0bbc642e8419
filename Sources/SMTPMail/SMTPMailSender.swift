import ChatServices
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Sends verification mails through an SMTP server (RFC 5321): STARTTLS or TLS, AUTH PLAIN (or
/// LOGIN), one message per connection. A code mail is rare and small, so nothing is pooled.
///
/// Safe by default: with `.startTLS` a server that does not offer STARTTLS is refused before
/// anything is sent, so the password never crosses the network in clear; the whole conversation
/// has one deadline; errors name the server and the step, never the password.
public final class SMTPMailSender: MailSender {
    private let configuration: SMTPConfiguration
    /// Made once: loading the trust roots is slow, and would count against each mail's deadline.
    private let tls: NIOSSLContext?
    private let group: any EventLoopGroup
    private let logger: Logger

    /// Throws when the TLS settings cannot be used (an unreadable trust root).
    public init(
        _ configuration: SMTPConfiguration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) throws {
        self.configuration = configuration
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = configuration.trustRoots
        self.tls = configuration.security == .none ? nil : try NIOSSLContext(configuration: tls)
        self.group = group
        self.logger = logger
    }

    public func send(_ mail: Mail) async throws {
        guard SMTPMessage.isSendable(mail.to) else { throw SMTPError.invalidAddress(mail.to) }
        guard SMTPMessage.isSendable(configuration.from) else { throw SMTPError.invalidAddress(configuration.from) }
        let message = SMTPMessage.render(
            mail,
            from: configuration.from,
            date: Date(),
            messageID: "\(UUID().uuidString)@\(configuration.heloName)"
        )
        do {
            try await deliver(message, to: mail.to)
            logger.info("mail sent", metadata: ["server": "\(configuration.address)"])
        } catch {
            logger.error("mail not sent", metadata: ["server": "\(configuration.address)", "error": "\(error)"])
            throw error
        }
    }

    private func deliver(_ message: String, to recipient: String) async throws {
        let configuration = self.configuration
        let tls = self.tls
        let serverHostname: String? =
            (try? SocketAddress(ipAddress: configuration.host, port: 0)) != nil ? nil : configuration.host
        let channel: NIOAsyncChannel<SMTPReply, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(configuration.timeout)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if configuration.security == .tls, let tls {
                            try channel.pipeline.syncOperations.addHandler(
                                NIOSSLClientHandler(context: tls, serverHostname: serverHostname)
                            )
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPReplyDecoder()))
                        return try NIOAsyncChannel<SMTPReply, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw SMTPError.unreachable("\(configuration.address): \(error)")
        }

        let timedOut = Atomic(false)
        let deadline = channel.channel.eventLoop.scheduleTask(in: configuration.timeout) {
            timedOut.store(true, ordering: .relaxed)
            channel.channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        do {
            try await channel.executeThenClose { inbound, outbound in
                var dialogue = SMTPDialogue(
                    replies: inbound.makeAsyncIterator(),
                    outbound: outbound,
                    server: configuration.address
                )
                try await dialogue.expect("the connection", 220)
                var extensions = try await dialogue.send("EHLO \(configuration.heloName)", "EHLO", 250).lines
                if configuration.security == .startTLS, let tls {
                    guard extensions.contains(where: { $0.uppercased() == "STARTTLS" }) else {
                        throw SMTPError.startTLSNotOffered(configuration.address)
                    }
                    try await dialogue.send("STARTTLS", "STARTTLS", 220)
                    try await channel.channel.pipeline.addHandler(
                        NIOSSLClientHandler(context: tls, serverHostname: serverHostname),
                        position: .first
                    )
                    extensions = try await dialogue.send("EHLO \(configuration.heloName)", "EHLO", 250).lines
                }
                if let username = configuration.username {
                    try await Self.authenticate(
                        &dialogue,
                        username,
                        configuration.password ?? "",
                        extensions,
                        configuration
                    )
                }
                try await dialogue.send("MAIL FROM:<\(configuration.from)>", "the sender", 250)
                try await dialogue.send("RCPT TO:<\(recipient)>", "the recipient", 250, 251)
                try await dialogue.send("DATA", "DATA", 354)
                try await dialogue.sendRaw(message, "the message", 250)
                // The mail is accepted; a server that drops the line instead of saying goodbye
                // changes nothing.
                _ = try? await dialogue.send("QUIT", "QUIT", 221)
            }
        } catch {
            if timedOut.load(ordering: .relaxed) { throw SMTPError.timedOut(configuration.address) }
            if error is SMTPError { throw error }
            if let tlsError = error as? NIOSSLError {
                throw SMTPError.unreachable("\(configuration.address): TLS failed (\(tlsError))")
            }
            throw SMTPError.connectionClosed("\(configuration.address) (\(error))")
        }
    }

    /// AUTH PLAIN if offered, else LOGIN; only over TLS unless security was set to `.none`.
    private static func authenticate(
        _ dialogue: inout SMTPDialogue,
        _ username: String,
        _ password: String,
        _ extensions: [String],
        _ configuration: SMTPConfiguration
    ) async throws {
        let mechanisms =
            extensions.first { $0.uppercased().hasPrefix("AUTH ") }?.uppercased()
            .split(separator: " ").dropFirst().map(String.init) ?? []
        if mechanisms.contains("PLAIN") {
            let credentials = Data(("\0" + username + "\0" + password).utf8).base64EncodedString()
            try await dialogue.send("AUTH PLAIN \(credentials)", "the sign-in", 235)
        } else if mechanisms.contains("LOGIN") {
            try await dialogue.send("AUTH LOGIN", "the sign-in", 334)
            try await dialogue.send(Data(username.utf8).base64EncodedString(), "the sign-in", 334)
            try await dialogue.send(Data(password.utf8).base64EncodedString(), "the sign-in", 235)
        } else {
            throw SMTPError.authenticationNotOffered(configuration.address)
        }
    }
}

/// One SMTP conversation: a command, then the reply it must get.
struct SMTPDialogue {
    var replies: NIOAsyncChannelInboundStream<SMTPReply>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let server: String

    /// Sends `line` and checks the reply's code. `quiet` keeps the command (a credential) out
    /// of the error.
    @discardableResult
    mutating func send(_ line: String, _ step: String, _ codes: Int...) async throws -> SMTPReply {
        try await outbound.write(ByteBuffer(string: line + "\r\n"))
        return try await expect(step, codes)
    }

    /// Sends a message's bytes as they are (already ending in CRLF.CRLF).
    @discardableResult
    mutating func sendRaw(_ bytes: String, _ step: String, _ codes: Int...) async throws -> SMTPReply {
        try await outbound.write(ByteBuffer(string: bytes))
        return try await expect(step, codes)
    }

    @discardableResult
    mutating func expect(_ step: String, _ codes: Int...) async throws -> SMTPReply {
        try await expect(step, codes)
    }

    private mutating func expect(_ step: String, _ codes: [Int]) async throws -> SMTPReply {
        guard let reply = try await replies.next() else { throw SMTPError.connectionClosed(server) }
        guard codes.contains(reply.code) else { throw SMTPError.refused(step: step, reply: reply.text) }
        return reply
    }
}
