import ChatProtocol
import Foundation

/// The theme last chosen in the picker (F2, then Enter), kept for the next start in a file of
/// its own in the state directory: `$XDG_STATE_HOME/wechat/theme`, holding the name.
///
/// Not written into config.toml: that file is the user's, and the app does not rewrite it (its
/// comments and layout, a symlink into a dotfiles repository, a read-only file a tool manages).
/// So a theme named on purpose wins over the one saved here: `--theme` for one run, then
/// `theme` in config.toml; the picker says so when one of them hides what it saved.
public struct SavedTheme: Sendable, Equatable {
    public let path: String
    /// What chooses the starting theme over this file, as the notice names it
    /// (`theme = "light"` in config.toml); nil when nothing does.
    public var overriddenBy: String?

    public init(path: String, overriddenBy: String? = nil) {
        self.path = path
        self.overriddenBy = overriddenBy
    }

    /// `theme` in the state directory (`AppPaths.state`).
    public static func defaultPath(environment: [String: String]) -> String {
        (AppPaths(environment: environment).state as NSString).appendingPathComponent("theme")
    }

    /// The saved name; nil when there is none, or the file holds no single name.
    public func load() -> String? {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else { return nil }
        let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty || name.contains(where: \.isNewline) ? nil : name
    }

    public func save(_ name: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try Data((name + "\n").utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// Saves `name` and says what that means for the next start, for the status bar.
    public func keep(_ name: String) -> (message: String, failed: Bool) {
        do {
            try save(name)
        } catch {
            return ("Could not save the theme for the next start (\(path)): \(error.localizedDescription)", true)
        }
        guard let overriddenBy else { return ("Theme \(name) saved: the next start uses it too.", false) }
        return ("Theme \(name) saved, but \(overriddenBy) chooses the theme at start.", false)
    }

    /// The theme to start with: `--theme`, else config.toml's when the file names one, else the
    /// saved one, else the default.
    public static func startingTheme(flag: String?, configured: String?, saved: String?) -> String {
        flag ?? configured ?? saved ?? AppConfig().theme
    }

    /// The theme the config file names, if it names one (the defaults do not count). A file
    /// that does not parse names none: its warning is said elsewhere.
    public static func configuredTheme(configPath: String) -> String? {
        guard let data = FileManager.default.contents(atPath: configPath),
            let text = String(data: data, encoding: .utf8),
            let document = try? TOMLDocument(parsing: text),
            document.keys(in: nil).contains("theme")
        else { return nil }
        return document.string(nil, "theme").flatMap { $0.isEmpty ? nil : $0 }
    }
}
