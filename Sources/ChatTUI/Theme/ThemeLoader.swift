import ChatProtocol
import Foundation

/// Reads theme files. Themes are plain TOML files in a `Themes` directory (or the user's config
/// directory) so people can tweak colours without rebuilding; the loader is strict about what it
/// accepts (an unknown role or key is an error with its line) because a silently ignored typo in
/// a colour file is maddening to debug, and it never stops the app: anything wrong falls back to
/// `Theme.fallback` with a one-line warning the app can show.
///
/// File format:
///
///     name = "Default dark"
///     [base]
///     fg = 252            # 0–255, a colour name ("bright-blue", "default") or "#rrggbb"
///     bg = "#1c1c1c"
///     [selection]
///     fg = "white"
///     bg = 25
///     bold = true         # also dim, italic, underline, reverse
public enum ThemeLoader {
    /// The 16 basic colours by name, plus the usual spelling of each.
    static let colourNames: [String: UInt8] = {
        let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
        var table: [String: UInt8] = [:]
        for (index, name) in names.enumerated() {
            table[name] = UInt8(index)
            table["bright-" + name] = UInt8(index + 8)
        }
        return table
    }()

    static let styleKeys = ["fg", "bg", "bold", "dim", "italic", "underline", "reverse"]

    /// Parses a theme file. `name` (normally the file's name) is used when the file has no
    /// top-level `name`. Missing roles become `base`; roles without `bg` get `base`'s background.
    /// Throws `TOMLError` with the offending line for syntax errors, unknown roles or keys, and bad values.
    public static func parse(_ text: String, name: String) throws -> Theme {
        let document = try TOMLDocument(parsing: text)
        var displayName = name
        for key in document.keys(in: nil) {
            let line = document.line(of: key, in: nil) ?? 0
            guard key == "name" else {
                throw TOMLError(
                    line: line,
                    message: "unknown top-level key '\(key)' (only 'name' goes before the role tables)"
                )
            }
            guard let value = document.string(nil, key) else {
                throw TOMLError(line: line, message: "'name' must be a string")
            }
            displayName = value
        }

        var given: [ThemeRole: (style: TextStyle, hasBackground: Bool)] = [:]
        for table in document.tables {
            guard let role = ThemeRole(rawValue: table) else {
                throw TOMLError(line: document.line(ofTable: table) ?? 0, message: "unknown role [\(table)]")
            }
            given[role] = try style(document, table: table)
        }

        let base = given[.base]?.style ?? .plain
        var styles: [ThemeRole: TextStyle] = [:]
        for role in ThemeRole.allCases {
            guard let (style, hasBackground) = given[role] else {
                styles[role] = base
                continue
            }
            styles[role] = hasBackground ? style : style.with(background: base.background)
        }
        return Theme(name: displayName, styles: styles)
    }

    /// Loads `<path>/<named>.toml` from the first search path that has it. Never fails: a missing
    /// or broken file gives `Theme.fallback` and a warning for the status bar. (A missing
    /// "default" gives no warning: the fallback *is* the default theme.)
    public static func load(named name: String, searchPaths: [String]) -> (theme: Theme, warning: String?) {
        guard let path = path(of: name, in: searchPaths) else {
            return (.fallback, name == "default" ? nil : "Theme '\(name)' not found; using the default.")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            return (.fallback, "\(path): cannot read the file (or it is not UTF-8); using the default.")
        }
        do {
            return (try parse(text, name: name), nil)
        } catch let error as TOMLError {
            return (.fallback, "\(path) line \(error.line): \(error.message); using the default.")
        } catch {
            return (.fallback, "\(path): \(error); using the default.")
        }
    }

    /// Every theme name (file name without `.toml`) in the search paths, sorted, each once.
    public static func available(in searchPaths: [String]) -> [String] {
        var names = Set<String>()
        for directory in searchPaths {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for entry in entries where entry.hasSuffix(".toml") && !entry.hasPrefix(".") {
                names.insert(String(entry.dropLast(".toml".count)))
            }
        }
        return names.sorted()
    }

    /// Where to look for themes, first match wins: `$WECHAT_THEMES_DIR`; the user's
    /// `<config dir>/themes`; every existing `Themes` directory from the executable's directory up
    /// to 5 levels above it (so `.build/debug/wechat` finds the repository's `Themes`, and an
    /// install can ship them beside `bin/`); finally `<currentDirectory>/Themes`. Duplicates are
    /// dropped. Inputs are passed in (not read from the process) so this is testable.
    public static func defaultSearchPaths(
        environment: [String: String],
        executablePath: String,
        currentDirectory: String
    ) -> [String] {
        var paths: [String] = []
        if let custom = environment["WECHAT_THEMES_DIR"], !custom.isEmpty { paths.append(custom) }
        paths.append(join(AppPaths(environment: environment).config, "themes"))

        if !executablePath.isEmpty {
            var executable = executablePath.hasPrefix("/") ? executablePath : join(currentDirectory, executablePath)
            // A symlinked binary (say /usr/local/bin/wechat) should find the themes of its real install.
            for _ in 0..<8 {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: executable) else { break }
                executable =
                    target.hasPrefix("/") ? target : join((executable as NSString).deletingLastPathComponent, target)
            }
            var directory = URL(fileURLWithPath: executable).standardized.deletingLastPathComponent().path
            for _ in 0...5 {
                let candidate = join(directory, "Themes")
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                    paths.append(candidate)
                }
                let parent = (directory as NSString).deletingLastPathComponent
                if parent == directory || parent.isEmpty { break }
                directory = parent
            }
        }
        paths.append(join(currentDirectory, "Themes"))

        var seen = Set<String>()
        return paths.filter { seen.insert(URL(fileURLWithPath: $0).standardized.path).inserted }
    }

    // MARK: - Internals

    private static func path(of name: String, in searchPaths: [String]) -> String? {
        // A theme name is a file name, never a path.
        guard !name.isEmpty, !name.contains("/") else { return nil }
        for directory in searchPaths {
            let candidate = join(directory, name + ".toml")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        return nil
    }

    private static func join(_ directory: String, _ component: String) -> String {
        (directory as NSString).appendingPathComponent(component)
    }

    private static func style(_ document: TOMLDocument, table: String) throws -> (TextStyle, Bool) {
        var style = TextStyle()
        var hasBackground = false
        for key in document.keys(in: table) {
            let line = document.line(of: key, in: table) ?? 0
            guard let value = document.value(table, key) else { continue }
            func fail(_ message: String) -> TOMLError { TOMLError(line: line, message: message) }
            switch key {
            case "fg":
                style.foreground = try colour(value) { fail("'fg' in [\(table)]: " + $0) }
            case "bg":
                style.background = try colour(value) { fail("'bg' in [\(table)]: " + $0) }
                hasBackground = true
            case "bold", "dim", "italic", "underline", "reverse":
                guard case .boolean(let flag) = value else {
                    throw fail("'\(key)' in [\(table)] must be true or false")
                }
                switch key {
                case "bold": style.bold = flag
                case "dim": style.dim = flag
                case "italic": style.italic = flag
                case "underline": style.underline = flag
                default: style.reverse = flag
                }
            default:
                throw fail("unknown key '\(key)' in [\(table)] (expected one of \(styleKeys.joined(separator: ", ")))")
            }
        }
        return (style, hasBackground)
    }

    private static func colour(_ value: TOMLValue, fail: (String) -> TOMLError) throws -> TerminalColor {
        switch value {
        case .integer(let index):
            guard (0...255).contains(index) else { throw fail("colour \(index) is out of range 0–255") }
            return .indexed(UInt8(index))
        case .string(let text):
            let name = text.lowercased()
            if name == "default" { return .terminalDefault }
            if let index = colourNames[name] { return .indexed(index) }
            let hex = name.dropFirst()
            if name.hasPrefix("#"), hex.count == 6, hex.allSatisfy(\.isHexDigit), let rgb = UInt32(hex, radix: 16) {
                return .indexed(
                    TerminalColor.nearest256(
                        red: UInt8(rgb >> 16),
                        green: UInt8(rgb >> 8 & 0xFF),
                        blue: UInt8(rgb & 0xFF)
                    )
                )
            }
            throw fail("unknown colour '\(text)' (use 0–255, a name like 'bright-blue' or 'default', or '#rrggbb')")
        default:
            throw fail("a colour must be 0–255, a colour name or '#rrggbb'")
        }
    }
}
