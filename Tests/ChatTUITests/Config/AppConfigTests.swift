import Foundation
import Testing

@testable import ChatTUI

@Suite("AppConfig")
struct AppConfigTests {
    /// Writes `text` to a config file in a fresh directory (tests run in parallel), runs `body`
    /// with its path, then removes the directory.
    private func withConfigFile(_ text: String?, _ label: String = #function, _ body: (String) throws -> Void) throws {
        let name = "chattui-config-\(label.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString)"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/config.toml"
        if let text { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        try body(path)
    }

    @Test func defaults() {
        let config = AppConfig()
        #expect(config.server == "http://127.0.0.1:8888")
        #expect(config.theme == "default")
        #expect(config.bell)
        #expect(config.desktopNotifications)
    }

    @Test func missingFileGivesDefaultsWithoutWarning() throws {
        try withConfigFile(nil) { path in
            let (config, warning) = AppConfig.load(path: path)
            #expect(config == AppConfig())
            #expect(warning == nil)
        }
    }

    @Test func readsEverySetting() throws {
        try withConfigFile(
            """
            # my settings
            server = "https://chat.example.com:8443"
            theme = 'high-contrast'

            [notifications]
            bell = false
            desktop = false
            """
        ) { path in
            let (config, warning) = AppConfig.load(path: path)
            #expect(warning == nil)
            #expect(
                config
                    == AppConfig(
                        server: "https://chat.example.com:8443",
                        theme: "high-contrast",
                        bell: false,
                        desktopNotifications: false
                    )
            )
        }
    }

    @Test func aClustersGatesAreAList() throws {
        try withConfigFile("servers = [\"http://127.0.0.2:8888\", \"http://127.0.0.3:8888\"]\n") { path in
            let (config, warning) = AppConfig.load(path: path)
            #expect(warning == nil)
            #expect(config.servers == ["http://127.0.0.2:8888", "http://127.0.0.3:8888"])
            #expect(config.server == "http://127.0.0.2:8888")
        }
        try withConfigFile("servers = []\nservers2 = 1\n") { path in
            let (config, warning) = AppConfig.load(path: path)
            #expect(config.servers == ["http://127.0.0.1:8888"])
            #expect(warning?.contains("line 1: 'servers' must be a list of gate URLs") == true)
        }
        try withConfigFile("servers = [\"http://a:1\", 2]\n") { path in
            let (config, warning) = AppConfig.load(path: path)
            #expect(config.servers == ["http://127.0.0.1:8888"])
            #expect(warning != nil)
        }
    }

    @Test func partialFileKeepsOtherDefaults() throws {
        try withConfigFile("[notifications]\ndesktop = false\n") { path in
            let (config, warning) = AppConfig.load(path: path)
            #expect(warning == nil)
            #expect(config == AppConfig(desktopNotifications: false))
        }
    }

    @Test func brokenFileGivesDefaultsAndNamesTheLine() throws {
        try withConfigFile("server = \"http://example.com\"\ntheme = \"light\"\n[notifications]\nbell = yes\n") {
            path in
            let (config, warning) = AppConfig.load(path: path)
            #expect(config == AppConfig())
            let text = try #require(warning)
            #expect(text.hasPrefix("\(path) line 4: "), "\(text)")
            #expect(text.hasSuffix("; using defaults."), "\(text)")
        }
    }

    @Test func unknownKeysWarnButDoNotFail() throws {
        try withConfigFile(
            """
            theme = "wechat"
            colour = "blue"
            [notifications]
            bell = false
            sound = true
            [window]
            width = 80
            """
        ) { path in
            let (config, warning) = AppConfig.load(path: path)
            #expect(config == AppConfig(theme: "wechat", bell: false))
            let text = try #require(warning)
            #expect(text.contains("line 2"), "\(text)")
            #expect(text.contains("colour"), "\(text)")
            #expect(text.contains("line 5"), "\(text)")
            #expect(text.contains("sound"), "\(text)")
            #expect(text.contains("line 7"), "\(text)")
            #expect(text.contains("width"), "\(text)")
            #expect(!text.contains("line 4"), "\(text)")
        }
    }

    @Test func wrongTypesAreSkippedWithAWarning() throws {
        let (config, warnings) = try AppConfig.parse(
            "server = 8888\ntheme = \"\"\n[notifications]\nbell = \"no\"\ndesktop = false\n"
        )
        #expect(config == AppConfig(desktopNotifications: false))
        #expect(warnings.count == 3)
        #expect(warnings.first?.hasPrefix("line 1:") == true)
        #expect(warnings.contains { $0.hasPrefix("line 2:") })
        #expect(warnings.contains { $0.hasPrefix("line 4:") })
    }

    @Test func exampleFileParsesToTheDefaults() throws {
        let (config, warnings) = try AppConfig.parse(AppConfig.exampleFile)
        #expect(config == AppConfig())
        #expect(warnings.isEmpty)
        #expect(AppConfig.exampleFile.contains("#"))
        #expect(AppConfig.exampleFile.contains("[notifications]"))
    }

    @Test func defaultPath() {
        #expect(AppConfig.defaultPath(environment: ["HOME": "/home/ann"]) == "/home/ann/.config/wechat/config.toml")
        #expect(
            AppConfig.defaultPath(environment: ["HOME": "/home/ann", "XDG_CONFIG_HOME": "/xdg"])
                == "/xdg/wechat/config.toml"
        )
        // The XDG spec says a relative XDG_CONFIG_HOME is ignored.
        #expect(
            AppConfig.defaultPath(environment: ["HOME": "/home/ann", "XDG_CONFIG_HOME": "relative"])
                == "/home/ann/.config/wechat/config.toml"
        )
        #expect(AppConfig.defaultPath(environment: [:]).hasSuffix("/.config/wechat/config.toml"))
    }
}
