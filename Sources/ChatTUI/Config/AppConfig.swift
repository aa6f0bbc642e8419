import ChatProtocol
import Foundation

/// The user's settings from `config.toml`. Every field has a default, so the app runs with no
/// file at all; a broken file never stops it either (defaults plus a warning naming the line),
/// because a chat client that refuses to start over a typo is worse than one that says so.
///
/// Format:
///
///     server = "http://127.0.0.1:8888"        # or, for a cluster's gates:
///     servers = ["http://127.0.0.2:8888", "http://127.0.0.3:8888"]
///     theme = "default"
///     [notifications]
///     bell = true
///     desktop = true
///     [keys]
///     next-unread = ["Alt-A", "F8"]
///
/// `[keys]` is the exception to "never stops it": see `keyProblems`.
public struct AppConfig: Sendable, Equatable {
    /// The gate servers' base URLs: one, or a cluster's interchangeable gates, tried in turn.
    public var servers: [String] = ["http://127.0.0.1:8888"]
    /// The first gate: the one the saved session and the screen name.
    public var server: String { servers[0] }
    /// A theme name: a file `<name>.toml` in one of the theme search paths.
    public var theme: String = "default"
    /// Ring the terminal bell when a message arrives.
    public var bell: Bool = true
    /// Ask the terminal for a desktop notification when a message arrives.
    public var desktopNotifications: Bool = true
    /// `[ui] mouse`: clicks open conversations and select messages, the wheel scrolls. Off, the
    /// terminal keeps the mouse (selecting text without holding Shift).
    public var mouse: Bool = true
    /// `[display] emoji`: how emoji clusters are drawn (only drawn: the text is never changed).
    public var emoji: EmojiMode = .full
    /// The key bindings: the standard ones with `[keys]` applied.
    public var keyBindings = KeyBindings.standard
    /// What is wrong in `[keys]`, one line each ("<path> line 7: …"). Not empty: the app says
    /// these and does not start, since keys half rebound would do what nobody chose.
    public var keyProblems: [String] = []

    public init(
        server: String = "http://127.0.0.1:8888",
        theme: String = "default",
        bell: Bool = true,
        desktopNotifications: Bool = true
    ) {
        self.servers = [server]
        self.theme = theme
        self.bell = bell
        self.desktopNotifications = desktopNotifications
    }

    /// Reads the config file. A missing file gives the defaults and no warning. A file that does
    /// not parse gives the defaults and "<path> line N: …; using defaults.". Unknown keys or
    /// values of the wrong type are skipped (the rest still applies) with a warning naming each line.
    public static func load(path: String) -> (AppConfig, warning: String?) {
        guard FileManager.default.fileExists(atPath: path) else { return (AppConfig(), nil) }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            return (AppConfig(), "\(path): cannot read the file (or it is not UTF-8); using defaults.")
        }
        do {
            let (parsed, problems) = try parse(text)
            var config = parsed
            config.keyProblems = config.keyProblems.map { "\(path) \($0)" }
            let warning = problems.isEmpty ? nil : problems.map { "\(path) \($0)" }.joined(separator: "; ")
            return (config, warning)
        } catch let error as TOMLError {
            return (AppConfig(), "\(path) line \(error.line): \(error.message); using defaults.")
        } catch {
            return (AppConfig(), "\(path): \(error); using defaults.")
        }
    }

    /// Parses config text. Throws `TOMLError` only for syntax errors; problems that can be
    /// skipped come back as warnings ("line 3: 'colour' is not a setting; ignored").
    public static func parse(_ text: String) throws -> (AppConfig, warnings: [String]) {
        let document = try TOMLDocument(parsing: text)
        var config = AppConfig()
        var warnings: [String] = []

        func skip(_ table: String?, _ key: String, _ problem: String) {
            let name = table.map { "\($0).\(key)" } ?? key
            warnings.append("line \(document.line(of: key, in: table) ?? 0): '\(name)' \(problem); ignored")
        }

        for table in [nil] + document.tables.map(Optional.some) {
            for key in document.keys(in: table) {
                switch (table, key) {
                case (nil, "server"), (nil, "theme"):
                    guard let value = document.string(table, key), !value.isEmpty else {
                        skip(table, key, "must be a non-empty string")
                        continue
                    }
                    if key == "server" { config.servers = [value] } else { config.theme = value }
                case (nil, "servers"):
                    guard case .array(let values)? = document.value(table, key),
                        case let urls = values.compactMap({ value -> String? in
                            if case .string(let url) = value, !url.isEmpty { return url }
                            return nil
                        }),
                        !urls.isEmpty, urls.count == values.count
                    else {
                        skip(table, key, "must be a list of gate URLs, like [\"http://127.0.0.2:8888\"]")
                        continue
                    }
                    config.servers = urls
                case ("notifications", "bell"), ("notifications", "desktop"):
                    guard let value = document.bool(table, key) else {
                        skip(table, key, "must be true or false")
                        continue
                    }
                    if key == "bell" { config.bell = value } else { config.desktopNotifications = value }
                case ("ui", "mouse"):
                    guard let value = document.bool(table, key) else {
                        skip(table, key, "must be true or false")
                        continue
                    }
                    config.mouse = value
                case ("display", "emoji"):
                    guard let name = document.string(table, key), let mode = EmojiMode(rawValue: name.lowercased())
                    else {
                        skip(table, key, "must be \"full\", \"single\" or \"text\"")
                        continue
                    }
                    config.emoji = mode
                case ("keys", _):
                    continue  // all of [keys] is read at once, below
                default:
                    skip(table, key, "is not a setting")
                }
            }
            if let table, !Self.sections.contains(table), document.keys(in: table).isEmpty {
                warnings.append("line \(document.line(ofTable: table) ?? 0): unknown section [\(table)]; ignored")
            }
        }
        let (keyBindings, keyProblems) = KeyBindings.standard.applying(document, table: "keys")
        config.keyBindings = keyBindings
        config.keyProblems = keyProblems
        return (config, warnings)
    }

    /// The sections config.toml may have.
    static let sections: Set<String> = ["notifications", "keys", "ui", "display"]

    /// `config.toml` in the config directory (`AppPaths.config`).
    public static func defaultPath(environment: [String: String]) -> String {
        (AppPaths(environment: environment).config as NSString).appendingPathComponent("config.toml")
    }

    /// A commented config with every setting at its default, for `--print-config` or first run.
    public static let exampleFile = """
        # wechat terminal client settings.
        # Put this file at ~/.config/wechat/config.toml (or $XDG_CONFIG_HOME/wechat/config.toml).
        # Every setting is optional; the values below are the defaults.

        # The gate server to sign in through (its HTTP address). For a cluster, list its gates
        # instead; when one does not answer the next is tried:
        # servers = ["http://127.0.0.2:8888", "http://127.0.0.3:8888"]
        server = "http://127.0.0.1:8888"

        # The colour theme: a file <name>.toml in $WECHAT_THEMES_DIR, ~/.config/wechat/themes or the
        # Themes directory that ships with the app. Built in: default, light, wechat, high-contrast,
        # monochrome.
        theme = "default"

        [notifications]
        # Ring the terminal bell when a message arrives.
        bell = true
        # Also ask the terminal for a desktop notification (OSC 777 / OSC 9; many terminals show these).
        desktop = true

        [ui]
        # Clicks open a conversation or select a message, the wheel scrolls. While it is on, hold
        # Shift to select text with the mouse; false leaves the mouse to the terminal.
        mouse = true

        [display]
        # How emoji made of several code points (families, flags, skin tones) are drawn: "full"
        # draws them whole; "single" only the first emoji (for terminals, or tmux before 3.4,
        # that split them and shift the line); "text" as names in brackets, like [thumbs up sign].
        # Only the screen changes: what you type is sent exactly as typed.
        emoji = "full"

        [keys]
        # Rebind any action F1 help lists, by the names help shows: the keys given replace the
        # action's defaults. A mistake here (an unknown action or key, a key two actions want)
        # stops wechat at start with the line to fix.
        # next-unread = ["Alt-A", "F8"]
        # find-people = "F3"

        """
}
