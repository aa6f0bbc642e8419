import ArgumentParser
import ChatServices
import Foundation
import NIOSSL
import SMTPMail

/// Real mail for verification codes, by flags or environment (for deployments): the embedded
/// stack and the verify role take the same options.
struct SMTPOptions: ParsableArguments {
    @Option(
        name: .customLong("smtp-host"),
        help: "Send verification mails through this SMTP server instead of the dev mailbox (env WECHAT_SMTP_HOST)."
    )
    var smtpHost: String?

    @Option(
        name: .customLong("smtp-port"),
        help: "Port of --smtp-host (env WECHAT_SMTP_PORT; default 587, 465 with tls)."
    )
    var smtpPort: Int?

    @Option(
        name: .customLong("smtp-security"),
        help: "starttls (refuse a server without it), tls (from the first byte) or none (env WECHAT_SMTP_SECURITY)."
    )
    var smtpSecurity: String?

    @Option(name: .customLong("smtp-user"), help: "SMTP sign-in name (env WECHAT_SMTP_USER).")
    var smtpUser: String?

    @Option(
        name: .customLong("smtp-password-file"),
        help:
            "File holding the SMTP password (env WECHAT_SMTP_PASSWORD holds it directly; never on the command line)."
    )
    var smtpPasswordFile: String?

    @Option(name: .customLong("smtp-from"), help: "Sender address of verification mails (env WECHAT_SMTP_FROM).")
    var smtpFrom: String?

    @Option(
        name: .customLong("smtp-ca"),
        help: "PEM certificate(s) to trust for the SMTP server instead of the system's (env WECHAT_SMTP_CA)."
    )
    var smtpCA: String?

    /// The SMTP settings from flags, or else the environment; nil when no SMTP host is given.
    /// Throws a `ValidationError` that names the setting at fault.
    func configuration(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws
        -> SMTPConfiguration?
    {
        guard let host = smtpHost ?? environment["WECHAT_SMTP_HOST"], !host.isEmpty else { return nil }
        let securityName = smtpSecurity ?? environment["WECHAT_SMTP_SECURITY"] ?? "starttls"
        guard let security = SMTPConfiguration.Security(rawValue: securityName) else {
            throw ValidationError("--smtp-security takes starttls, tls or none.")
        }
        let portText = smtpPort.map(String.init) ?? environment["WECHAT_SMTP_PORT"]
        let port =
            try portText.map { text in
                guard let port = Int(text), (1...65535).contains(port) else {
                    throw ValidationError("--smtp-port takes 1 to 65535.")
                }
                return port
            } ?? (security == .tls ? 465 : 587)
        guard let from = smtpFrom ?? environment["WECHAT_SMTP_FROM"], from.contains("@") else {
            throw ValidationError("--smtp-from (or WECHAT_SMTP_FROM) must give the sender's address.")
        }
        var password = environment["WECHAT_SMTP_PASSWORD"]
        if let smtpPasswordFile {
            guard let text = try? String(contentsOfFile: smtpPasswordFile, encoding: .utf8) else {
                throw ValidationError("Cannot read --smtp-password-file \(smtpPasswordFile).")
            }
            password = text.trimmingCharacters(in: .newlines)
        }
        let user = smtpUser ?? environment["WECHAT_SMTP_USER"]
        if user != nil && password == nil {
            throw ValidationError("--smtp-user needs a password: WECHAT_SMTP_PASSWORD or --smtp-password-file.")
        }
        var trustRoots = NIOSSLTrustRoots.default
        if let ca = smtpCA ?? environment["WECHAT_SMTP_CA"] {
            guard let certificates = try? NIOSSLCertificate.fromPEMFile(ca), !certificates.isEmpty else {
                throw ValidationError("Cannot read a PEM certificate from --smtp-ca \(ca).")
            }
            trustRoots = .certificates(certificates)
        }
        return SMTPConfiguration(
            host: host,
            port: port,
            security: security,
            username: user,
            password: password,
            from: from,
            trustRoots: trustRoots
        )
    }
}
