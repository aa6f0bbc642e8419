import Foundation
import Testing

@testable import ChatTUI

@Suite("ThemeLoader")
struct ThemeLoaderTests {
    // MARK: - Helpers

    /// The repository root (the directory holding Package.swift), found from this file.
    private static func repositoryRoot() throws -> String {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory.path
            }
            directory.deleteLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile)
    }

    private static func themesDirectory() throws -> String {
        try repositoryRoot() + "/Themes"
    }

    /// The shipped theme files by name (without `.toml`).
    private static func shippedThemes() throws -> [(name: String, text: String)] {
        let directory = try themesDirectory()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".toml") }
            .sorted()
        return try files.map { file in
            (String(file.dropLast(5)), try String(contentsOfFile: directory + "/" + file, encoding: .utf8))
        }
    }

    /// A fresh directory for one test (tests run in parallel); the caller removes it.
    private static func makeTemporaryDirectory(_ label: String = #function) throws -> String {
        let name = "chattui-theme-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    private func parseError(_ text: String) -> TOMLError? {
        do {
            _ = try ThemeLoader.parse(text, name: "test")
            return nil
        } catch let error as TOMLError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    // MARK: - Shipped themes

    @Test func shippedThemesExist() throws {
        let names = try Self.shippedThemes().map(\.name)
        for expected in ["default", "light", "wechat", "high-contrast", "monochrome"] {
            #expect(names.contains(expected), "Themes/\(expected).toml is missing")
        }
    }

    @Test func everyShippedThemeParsesAndDefinesEveryRole() throws {
        for (name, text) in try Self.shippedThemes() {
            let document = try TOMLDocument(parsing: text)
            let defined = Set(document.tables)
            for role in ThemeRole.allCases {
                #expect(defined.contains(role.rawValue), "Themes/\(name).toml does not define [\(role.rawValue)]")
            }
            #expect(document.string(nil, "name")?.isEmpty == false, "Themes/\(name).toml has no name")

            let theme: Theme
            do {
                theme = try ThemeLoader.parse(text, name: name)
            } catch {
                Issue.record("Themes/\(name).toml: \(error)")
                continue
            }
            #expect(theme.styles.count == ThemeRole.allCases.count)
            #expect(theme[.selection] != theme[.base], "\(name): selection must be visible")
            #expect(
                theme[.selection].background != theme[.base].background || theme[.selection].reverse,
                "\(name): selection needs its own background (or reverse)"
            )
            #expect(theme[.unreadBadge] != theme[.base], "\(name): unread badges must stand out")
            #expect(theme[.unreadBadge] != theme[.selection], "\(name): a badge must show on a selected row")
            #expect(theme[.borderFocused] != theme[.border], "\(name): the focused pane must be visible")
            #expect(!theme[.timestamp].bold, "\(name): timestamps should be subtle")
        }
    }

    @Test func monochromeHasNoColours() throws {
        let text = try String(contentsOfFile: try Self.themesDirectory() + "/monochrome.toml", encoding: .utf8)
        let theme = try ThemeLoader.parse(text, name: "monochrome")
        for role in ThemeRole.allCases {
            #expect(theme[role].foreground == .terminalDefault, "monochrome [\(role.rawValue)] has a foreground colour")
            #expect(theme[role].background == .terminalDefault, "monochrome [\(role.rawValue)] has a background colour")
        }
        #expect(theme[.selection].reverse)
    }

    @Test func fallbackMatchesDefaultFile() throws {
        let text = try String(contentsOfFile: try Self.themesDirectory() + "/default.toml", encoding: .utf8)
        let theme = try ThemeLoader.parse(text, name: "default")
        for role in ThemeRole.allCases {
            #expect(theme[role] == Theme.fallback[role], "Theme.fallback [\(role.rawValue)] differs from default.toml")
        }
        #expect(theme == Theme.fallback)
        #expect(Theme.fallback.styles.count == ThemeRole.allCases.count)
    }

    @Test func wechatUsesWeChatGreen() throws {
        let text = try String(contentsOfFile: try Self.themesDirectory() + "/wechat.toml", encoding: .utf8)
        let theme = try ThemeLoader.parse(text, name: "wechat")
        #expect(theme[.myName].foreground == .indexed(35))
        #expect(theme[.selection].background == .indexed(35))
    }

    // MARK: - Parsing

    @Test func parsesColoursFlagsAndInheritance() throws {
        let theme = try ThemeLoader.parse(
            """
            name = "Test theme"
            [base]
            fg = "white"
            bg = 234
            [title]
            fg = "bright-yellow"
            bg = "#ff0000"
            bold = true
            italic = true
            [selection]
            fg = 16
            reverse = true
            underline = true
            dim = true
            [dialog]
            bg = "default"
            [hint]
            fg = "#07C160"
            """,
            name: "file-name"
        )

        #expect(theme.name == "Test theme")
        #expect(theme[.base] == TextStyle(foreground: .indexed(7), background: .indexed(234)))
        #expect(
            theme[.title] == TextStyle(foreground: .indexed(11), background: .indexed(196), bold: true, italic: true)
        )
        // No bg given: sits on base's background.
        #expect(
            theme[.selection]
                == TextStyle(
                    foreground: .indexed(16),
                    background: .indexed(234),
                    dim: true,
                    underline: true,
                    reverse: true
                )
        )
        // An explicit "default" is kept, not replaced by base's.
        #expect(theme[.dialog].background == .terminalDefault)
        #expect(theme[.dialog].foreground == .terminalDefault)
        #expect(theme[.hint].foreground == .indexed(35))
        // Roles the file leaves out look like base.
        #expect(theme[.banner] == theme[.base])
        #expect(theme.styles[.banner] == theme[.base])
    }

    @Test func nameFallsBackToTheFileName() throws {
        let theme = try ThemeLoader.parse("[base]\nfg = 1\n", name: "mine")
        #expect(theme.name == "mine")
        #expect(theme[.error] == TextStyle(foreground: .indexed(1)))
    }

    @Test func colourNamesCoverTheBasic16() throws {
        let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"]
        for (index, name) in names.enumerated() {
            let theme = try ThemeLoader.parse("[base]\nfg = \"\(name)\"\nbg = \"bright-\(name)\"\n", name: "t")
            #expect(theme[.base].foreground == .indexed(UInt8(index)))
            #expect(theme[.base].background == .indexed(UInt8(index + 8)))
        }
    }

    @Test func errorsNameTheLine() {
        let cases: [(text: String, line: Int, mentions: String)] = [
            ("name = \"x\"\n[base]\nfg = 1\n\n[bsae]\nfg = 2\n", 5, "bsae"),
            ("[base]\nfg = 1\n[title]\ncolour = 3\n", 4, "colour"),
            ("[base]\nfg = 256\n", 2, "256"),
            ("[base]\nfg = -1\n", 2, "-1"),
            ("[base]\nbg = \"pink\"\n", 2, "pink"),
            ("[base]\nbg = \"#12345\"\n", 2, "#12345"),
            ("[base]\nbg = \"#gggggg\"\n", 2, "#gggggg"),
            ("[base]\nfg = true\n", 2, "fg"),
            ("[base]\n\nbold = \"yes\"\n", 3, "bold"),
            ("author = \"me\"\n", 1, "author"),
            ("name = 3\n", 1, "name"),
            ("[base.extra]\n", 1, "base.extra"),
            ("[base]\nfg = 1\nfg = 2\n", 3, "fg"),
            ("[base]\nfg 1\n", 2, "fg"),
        ]
        for (text, line, mentions) in cases {
            let error = parseError(text)
            #expect(error?.line == line, "\(text.debugDescription): \(String(describing: error))")
            #expect(error?.message.contains(mentions) == true, "\(text.debugDescription): \(String(describing: error))")
        }
    }

    // MARK: - Loading

    @Test func loadFindsTheFirstMatchInSearchOrder() throws {
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.write("name = \"First\"\n", to: root + "/one/mine.toml")
        try Self.write("name = \"Second\"\n", to: root + "/two/mine.toml")
        try Self.write("name = \"Only\"\n", to: root + "/two/other.toml")
        let paths = [root + "/missing", root + "/one", root + "/two"]

        let first = ThemeLoader.load(named: "mine", searchPaths: paths)
        #expect(first.theme.name == "First")
        #expect(first.warning == nil)
        #expect(ThemeLoader.load(named: "other", searchPaths: paths).theme.name == "Only")
    }

    @Test func loadReportsAMissingTheme() throws {
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = ThemeLoader.load(named: "x", searchPaths: [root])
        #expect(result.theme == Theme.fallback)
        #expect(result.warning == "Theme 'x' not found; using the default.")
        // A theme name is never a path.
        try Self.write("name = \"Escaped\"\n", to: root + "/escape.toml")
        #expect(
            ThemeLoader.load(
                named: "../\((root as NSString).lastPathComponent)/escape",
                searchPaths: [root + "/sub"]
            ).theme == Theme.fallback
        )
    }

    @Test func loadReportsTheLineOfABrokenTheme() throws {
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let themes = root + "/Themes"
        try Self.write("name = \"Broken\"\n[base]\nfg = 1\n\n[title]\nbold = true\nfg 3\n", to: themes + "/x.toml")

        let result = ThemeLoader.load(named: "x", searchPaths: [themes])
        #expect(result.theme == Theme.fallback)
        #expect(result.warning == "\(themes)/x.toml line 7: expected '=' after key 'fg'; using the default.")
    }

    @Test func availableListsThemesSortedAndUnique() throws {
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.write("", to: root + "/a/zeta.toml")
        try Self.write("", to: root + "/a/alpha.toml")
        try Self.write("", to: root + "/a/notes.txt")
        try Self.write("", to: root + "/a/.hidden.toml")
        try Self.write("", to: root + "/b/alpha.toml")
        try Self.write("", to: root + "/b/mid.toml")

        #expect(ThemeLoader.available(in: [root + "/a", root + "/b", root + "/none"]) == ["alpha", "mid", "zeta"])
        #expect(ThemeLoader.available(in: []) == [])
        let shipped = ThemeLoader.available(in: [try Self.themesDirectory()])
        #expect(shipped == ["default", "high-contrast", "light", "monochrome", "wechat"])
    }

    @Test func defaultSearchPathsOrder() throws {
        let root = try Self.makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Deep enough that walking 5 levels up never leaves the temporary directory.
        let app = root + "/a/b/c/d/app"
        try FileManager.default.createDirectory(atPath: app + "/Themes", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: app + "/.build/debug/Themes", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            atPath: root + "/a/b/c/d/app/.build/x86_64/debug",
            withIntermediateDirectories: true
        )
        let executable = app + "/.build/debug/wechat"

        let all = ThemeLoader.defaultSearchPaths(
            environment: [
                "WECHAT_THEMES_DIR": root + "/custom", "XDG_CONFIG_HOME": root + "/xdg", "HOME": root + "/home",
            ],
            executablePath: executable,
            currentDirectory: root + "/work"
        )
        #expect(
            all == [
                root + "/custom",
                root + "/xdg/wechat/themes",
                app + "/.build/debug/Themes",
                app + "/Themes",
                root + "/work/Themes",
            ]
        )

        let plain = ThemeLoader.defaultSearchPaths(
            environment: ["HOME": root + "/home"],
            executablePath: app + "/.build/x86_64/debug/wechat",
            currentDirectory: app
        )
        // The current directory's Themes is the one found from the executable: listed once.
        #expect(plain == [root + "/home/.config/wechat/themes", app + "/Themes"])

        // A symlinked executable finds the themes next to its real location.
        try FileManager.default.createDirectory(atPath: root + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: root + "/bin/wechat", withDestinationPath: executable)
        let linked = ThemeLoader.defaultSearchPaths(
            environment: ["HOME": root + "/home"],
            executablePath: root + "/bin/wechat",
            currentDirectory: root
        )
        #expect(
            linked == [
                root + "/home/.config/wechat/themes",
                app + "/.build/debug/Themes",
                app + "/Themes",
                root + "/Themes",
            ]
        )
    }

    // MARK: - Colour fallback

    @Test func nearest16Samples() {
        #expect(TerminalColor.indexed(196).nearest16 == .indexed(9))  // ff0000: bright red
        #expect(TerminalColor.indexed(15).nearest16 == .indexed(15))  // basic colours are unchanged
        #expect(TerminalColor.indexed(0).nearest16 == .indexed(0))
        #expect(TerminalColor.indexed(4).nearest16 == .indexed(4))
        #expect(TerminalColor.indexed(16).nearest16 == .indexed(0))  // cube black
        #expect(TerminalColor.indexed(231).nearest16 == .indexed(15))  // cube white
        #expect(TerminalColor.indexed(46).nearest16 == .indexed(10))  // 00ff00
        #expect(TerminalColor.indexed(21).nearest16 == .indexed(4))  // 0000ff
        #expect(TerminalColor.indexed(226).nearest16 == .indexed(11))  // ffff00
        #expect(TerminalColor.indexed(35).nearest16 == .indexed(2))  // WeChat green
        #expect([TerminalColor.indexed(0), .indexed(8)].contains(TerminalColor.indexed(232).nearest16))
        #expect(TerminalColor.indexed(244).nearest16 == .indexed(8))  // mid grey
        #expect(TerminalColor.indexed(252).nearest16 == .indexed(7))  // light grey
        #expect(TerminalColor.terminalDefault.nearest16 == .terminalDefault)
        // Eight-colour terminals: the bright half maps down too.
        #expect(TerminalColor.indexed(9).nearestBasic(count: 8) == .indexed(1))
        #expect(TerminalColor.indexed(196).nearestBasic(count: 8) == .indexed(1))
        #expect(TerminalColor.indexed(231).nearestBasic(count: 8) == .indexed(7))
        #expect(TerminalColor.indexed(3).nearestBasic(count: 8) == .indexed(3))
        for index in 0...255 {
            guard case .indexed(let basic) = TerminalColor.indexed(UInt8(index)).nearest16 else {
                Issue.record("\(index) lost its colour")
                continue
            }
            #expect(basic < 16)
        }
    }

    @Test func nearest256Samples() {
        #expect(TerminalColor.nearest256(red: 0x07, green: 0xC1, blue: 0x60) == 35)
        #expect(TerminalColor.nearest256(red: 0, green: 0, blue: 0) == 16)
        #expect(TerminalColor.nearest256(red: 255, green: 255, blue: 255) == 231)
        #expect(TerminalColor.nearest256(red: 255, green: 0, blue: 0) == 196)
        #expect(TerminalColor.nearest256(red: 0x80, green: 0x80, blue: 0x80) == 244)
        #expect(TerminalColor.nearest256(red: 0x1C, green: 0x1C, blue: 0x1C) == 234)
        #expect(TerminalColor.nearest256(red: 0x00, green: 0x87, blue: 0xAF) == 31)
    }
}
