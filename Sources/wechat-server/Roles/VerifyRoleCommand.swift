import ArgumentParser
import ChatProtocol
import ChatServices
import ClusterRPC
import Foundation
import RedisServices
import SMTPMail
import ServerStack

/// `wechat-server verify`: VerifyServer of a cluster. Codes live in Redis (so any verify process
/// can check a code another sent); mail goes through SMTP, or the dev mailbox file by default.
struct VerifyRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "VerifyServer of a cluster: verification codes in Redis and their mail, served over gRPC."
    )

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var smtp: SMTPOptions

    @Option(
        name: .customLong("data-dir"),
        help: "Directory of the dev mailbox, used when no SMTP server is given (default: $XDG_DATA_HOME/wechat/server)."
    )
    var dataDir: String?

    func run() async throws {
        let logger = cluster.bootstrapLogging()
        let runner = RoleRunner(role: "verify", logger: logger)
        let (listen, redisEndpoint, smtpConfiguration) = runner.settings {
            (
                try cluster.listenEndpoint(default: "127.0.0.1:7201"), try cluster.redisEndpoint(),
                try smtp.configuration()
            )
        }
        let redis = try await runner.openRedis(redisEndpoint)
        let directory = dataDir ?? AppPaths().serverData
        let mail: any MailSender
        let mailDescription: String
        if let smtpConfiguration {
            mail = try await runner.require("the SMTP settings") {
                try SMTPMailSender(smtpConfiguration, logger: logger.named("mail"))
            }
            mailDescription = "smtp=\(smtpConfiguration.address)"
        } else {
            try await runner.require("the data directory \(directory)") {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            mail = DevMailbox(directory: directory, logger: logger.named("verify"))
            mailDescription = "mailbox=\(directory)/dev-mailbox.txt"
        }
        let verify = RedisVerifyService(redis: redis, mail: mail, logger: logger.named("verify"))
        let ready = ReadyPort()
        let server = ClusterRPCServer(
            listeningOn: listen,
            hosting: .init(verify: verify),
            logger: logger.named("verify"),
            onListening: ready.set
        )
        try await runner.run([server]) {
            "listen=\(listen.host):\(await ready.wait()) redis=\(redisEndpoint) \(mailDescription)"
        }
    }
}
