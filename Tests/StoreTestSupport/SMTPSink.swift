import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A small SMTP server for the tests, on a free loopback port: it speaks enough of RFC 5321
/// (EHLO, STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, QUIT) to receive a mail and record
/// what it saw, including whether TLS was on when the credentials came.
public final class SMTPSink: Sendable {
    public struct Options: Sendable {
        /// Offers STARTTLS with this certificate when set.
        public var tls: (cert: String, key: String)?
        public var authMechanisms = ["PLAIN", "LOGIN"]
        /// The only credentials accepted, when set.
        public var credentials: (user: String, password: String)?
        /// Greets nobody: the client must give up on its own.
        public var silent = false

        public init(
            tls: (cert: String, key: String)? = nil,
            credentials: (user: String, password: String)? = nil,
            silent: Bool = false
        ) {
            self.tls = tls
            self.credentials = credentials
            self.silent = silent
        }
    }

    public struct Received: Sendable, Equatable {
        public var from = ""
        public var recipients: [String] = []
        /// The message as the client meant it: dots un-doubled, lines joined with CRLF.
        public var data = ""
    }

    public struct Session: Sendable {
        public var commands: [String] = []
        public var authenticated: String?
        public var sawPasswordInClear = false
        public var tlsWhenAuthenticating = false
        public var mails: [Received] = []
    }

    /// What every connection saw, shared with the handlers.
    final class Recorder: Sendable {
        let sessions = Mutex<[Session]>([])
    }

    public let port: Int
    private let channel: any Channel
    private let recorder = Recorder()

    public init(_ options: Options = Options()) async throws {
        let sslContext = try options.tls.map { tls in
            try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: try NIOSSLCertificate.fromPEMFile(tls.cert).map { .certificate($0) },
                    privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem))
                )
            )
        }
        let recorder = self.recorder
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(
                        SinkHandler(options: options, sslContext: sslContext, recorder: recorder)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    public var sessions: [Session] { recorder.sessions.withLock { $0 } }
    public var mails: [Received] { sessions.flatMap(\.mails) }

    public func close() async {
        try? await channel.close()
    }
}

private struct LineDecoder: ByteToMessageDecoder {
    typealias InboundOut = String
    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return .needMoreData }
        var line = buffer.readString(length: newline - buffer.readerIndex)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }
}

private final class SinkHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: used on its channel's event loop only.
    typealias InboundIn = String
    typealias OutboundOut = ByteBuffer

    private enum Mode {
        case command, data, authLoginUser
        case authLoginPassword(user: String)
    }
    private let options: SMTPSink.Options
    private let sslContext: NIOSSLContext?
    private let recorder: SMTPSink.Recorder
    private var index = 0
    private var mode = Mode.command
    private var tls = false
    private var current = SMTPSink.Received()
    private var data: [String] = []

    init(options: SMTPSink.Options, sslContext: NIOSSLContext?, recorder: SMTPSink.Recorder) {
        self.options = options
        self.sslContext = sslContext
        self.recorder = recorder
    }

    func channelActive(context: ChannelHandlerContext) {
        index = recorder.sessions.withLock {
            $0.append(SMTPSink.Session())
            return $0.count - 1
        }
        if !options.silent { say("220 sink.test ESMTP ready", context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        switch mode {
        case .data:
            if line == "." {
                current.data = self.data.joined(separator: "\r\n")
                let mail = current
                record { $0.mails.append(mail) }
                self.data = []
                current = SMTPSink.Received()
                mode = .command
                say("250 queued", context)
            } else {
                self.data.append(line.hasPrefix(".") ? String(line.dropFirst()) : line)
            }
            return
        case .authLoginUser:
            mode = .authLoginPassword(user: String(decoding: Data(base64Encoded: line) ?? Data(), as: UTF8.self))
            say("334 UGFzc3dvcmQ6", context)
            return
        case .authLoginPassword(let user):
            mode = .command
            check(user, String(decoding: Data(base64Encoded: line) ?? Data(), as: UTF8.self), context)
            return
        case .command:
            break
        }
        record { $0.commands.append(line) }
        let verb = line.split(separator: " ").first.map { $0.uppercased() } ?? ""
        switch verb {
        case "EHLO":
            var lines = ["250-sink.test"]
            if sslContext != nil && !tls { lines.append("250-STARTTLS") }
            if !options.authMechanisms.isEmpty {
                lines.append("250-AUTH " + options.authMechanisms.joined(separator: " "))
            }
            lines.append("250 8BITMIME")
            say(lines.joined(separator: "\r\n"), context)
        case "STARTTLS":
            guard let sslContext, !tls else { return say("502 no", context) }
            say("220 go ahead", context)
            tls = true
            try? context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext), position: .first)
        case "AUTH":
            let parts = line.split(separator: " ")
            if parts.count >= 3, parts[1].uppercased() == "PLAIN" {
                let fields = (Data(base64Encoded: String(parts[2])) ?? Data()).split(
                    separator: 0,
                    omittingEmptySubsequences: false
                )
                let text = fields.map { String(decoding: $0, as: UTF8.self) }
                check(text.count == 3 ? text[1] : "", text.count == 3 ? text[2] : "", context)
            } else if parts.count >= 2, parts[1].uppercased() == "LOGIN" {
                mode = .authLoginUser
                say("334 VXNlcm5hbWU6", context)
            } else {
                say("504 unknown mechanism", context)
            }
        case "MAIL":
            current.from = Self.address(line)
            say("250 ok", context)
        case "RCPT":
            current.recipients.append(Self.address(line))
            say("250 ok", context)
        case "DATA":
            mode = .data
            say("354 end with .", context)
        case "QUIT":
            say("221 bye", context)
            context.close(promise: nil)
        default:
            say("500 what", context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func check(_ user: String, _ password: String, _ context: ChannelHandlerContext) {
        let tls = self.tls
        record { session in
            session.tlsWhenAuthenticating = tls
            if !tls && !password.isEmpty { session.sawPasswordInClear = true }
        }
        if let expected = options.credentials, expected.user != user || expected.password != password {
            return say("535 5.7.8 authentication failed", context)
        }
        record { $0.authenticated = user }
        say("235 ok", context)
    }

    private func record(_ change: (inout SMTPSink.Session) -> Void) {
        let index = self.index
        recorder.sessions.withLock { change(&$0[index]) }
    }

    private func say(_ text: String, _ context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text + "\r\n")), promise: nil)
    }

    private static func address(_ line: String) -> String {
        guard let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">"), open < close else { return "" }
        return String(line[line.index(after: open)..<close])
    }
}
