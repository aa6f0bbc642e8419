import Foundation

/// Where `wechat` and `wechat-server` keep their files by default: one `wechat` directory under
/// each XDG base directory (the XDG Base Directory spec). Every default path is built from this,
/// so the client, the server and `wechat --serve` cannot disagree about where a file is; the
/// README's "Where files live" and the `--help` texts say the same in words.
///
/// Each base is `$XDG_<KIND>_HOME` when that is an absolute path; an unset, empty or relative
/// value is ignored, as the spec says, and the base falls back to `$HOME/.config`,
/// `$HOME/.local/share`, `$HOME/.local/state` or `$HOME/.cache`.
///
/// It lives in ChatProtocol although that module is about the wire, because ChatProtocol is the
/// only module both sides import: the client (ChatClient, ChatTUI, `wechat`) and the server
/// (`wechat-server`, which imports ServerStack and ChatServices but not ChatClient). Putting it in
/// ChatClient would make the server depend on the client; a module of its own would be more
/// package than this one small type is worth.
public struct AppPaths: Sendable, Equatable {
    /// The directory under each base. Changing it moves every user's files.
    public static let directoryName = "wechat"

    /// `$XDG_CONFIG_HOME/wechat` or `~/.config/wechat`: the config file and the user's themes.
    public let config: String
    /// `$XDG_DATA_HOME/wechat` or `~/.local/share/wechat`: the saved session and the message cache
    /// of each server, and the server's database. The message cache is data, not cache: it holds
    /// the outbox of messages not yet sent, which must survive a wiped cache directory.
    public let data: String
    /// `$XDG_STATE_HOME/wechat` or `~/.local/state/wechat`: the client's log, and the theme last
    /// chosen in the client (`SavedTheme`).
    public let state: String
    /// `$XDG_CACHE_HOME/wechat` or `~/.cache/wechat`: for files that may be deleted at any time.
    /// Nothing is kept there yet; it is here so a future cache does not compute its own default.
    public let cache: String

    /// Paths from `environment` (passed in, not read from the process, so this is testable).
    /// Without a usable `HOME` the fallbacks start from the account's home directory.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        func base(_ variable: String, _ fallback: String) -> String {
            if let value = environment[variable], value.hasPrefix("/") { return value }
            return (home as NSString).appendingPathComponent(fallback)
        }
        func app(_ base: String) -> String { (base as NSString).appendingPathComponent(AppPaths.directoryName) }
        config = app(base("XDG_CONFIG_HOME", ".config"))
        data = app(base("XDG_DATA_HOME", ".local/share"))
        state = app(base("XDG_STATE_HOME", ".local/state"))
        cache = app(base("XDG_CACHE_HOME", ".cache"))
    }

    /// The server's database and dev mailbox: the same for `wechat-server` and `wechat --serve`,
    /// so either one serves the same accounts.
    public var serverData: String { (data as NSString).appendingPathComponent("server") }
}
