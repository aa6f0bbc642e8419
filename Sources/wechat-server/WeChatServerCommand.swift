import ArgumentParser

/// `wechat-server`: with no role, the whole stack in one process (`embedded`); with a role, one
/// service of a cluster per process (see README, "Running as a cluster").
@main
struct WeChatServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wechat-server",
        abstract: "Runs the WeChat-style chat server stack: all of it in one process, or one role of a cluster.",
        version: "0.1.0",
        subcommands: [
            EmbeddedCommand.self, VerifyRoleCommand.self, StatusRoleCommand.self, GateRoleCommand.self,
            ChatRoleCommand.self,
        ],
        defaultSubcommand: EmbeddedCommand.self
    )
}
