import Foundation
import Testing

@testable import ChatTUI

/// The theme chosen with F2 is used at the next start, unless one is named on purpose.
@Suite struct SavedThemeTests {
    /// A fresh directory for one test, removed after it.
    private func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "saved-theme-\(UUID().uuidString)"
        )
        .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test func theChoiceIsKeptInTheStateDirectory() throws {
        #expect(
            SavedTheme.defaultPath(environment: ["HOME": "/home/a", "XDG_STATE_HOME": "/st"]) == "/st/wechat/theme"
        )
        try withDirectory { directory in
            let saved = SavedTheme(path: directory + "/state/wechat/theme")
            #expect(saved.load() == nil)
            let (message, failed) = saved.keep("wechat")
            #expect(!failed)
            #expect(message == "Theme wechat saved: the next start uses it too.")
            #expect(SavedTheme(path: saved.path).load() == "wechat")
            // Nothing usable in the file: no theme.
            try "two\nlines\n".write(toFile: saved.path, atomically: true, encoding: .utf8)
            #expect(saved.load() == nil)
        }
    }

    @Test func aThemeNamedOnPurposeWins() throws {
        #expect(SavedTheme.startingTheme(flag: "light", configured: "wechat", saved: "monochrome") == "light")
        #expect(SavedTheme.startingTheme(flag: nil, configured: "wechat", saved: "monochrome") == "wechat")
        #expect(SavedTheme.startingTheme(flag: nil, configured: nil, saved: "monochrome") == "monochrome")
        #expect(SavedTheme.startingTheme(flag: nil, configured: nil, saved: nil) == "default")
        try withDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let config = directory + "/config.toml"
            #expect(SavedTheme.configuredTheme(configPath: config) == nil, "no file")
            try "# mine\nbell = true\n[notifications]\ndesktop = false\n".write(
                toFile: config,
                atomically: true,
                encoding: .utf8
            )
            #expect(SavedTheme.configuredTheme(configPath: config) == nil, "the default is not named")
            try "server = \"http://x:1\"\ntheme = 'light' # mine\n".write(
                toFile: config,
                atomically: true,
                encoding: .utf8
            )
            #expect(SavedTheme.configuredTheme(configPath: config) == "light")
            try "theme = \"light\"\n[broken\n".write(toFile: config, atomically: true, encoding: .utf8)
            #expect(SavedTheme.configuredTheme(configPath: config) == nil, "a file that does not parse")
            // The picker says when the saved choice will not be the one used at start.
            let saved = SavedTheme(path: directory + "/theme", overriddenBy: "theme = \"light\" in config.toml")
            #expect(
                saved.keep("wechat").message
                    == "Theme wechat saved, but theme = \"light\" in config.toml chooses the theme at start."
            )
            #expect(saved.load() == "wechat")
        }
    }

    @Test func aThemeThatCannotBeSavedIsSaidSo() throws {
        try withDirectory { directory in
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            // Its directory would have to be where a file is.
            try "x".write(toFile: directory + "/file", atomically: true, encoding: .utf8)
            let (message, failed) = SavedTheme(path: directory + "/file/theme").keep("wechat")
            #expect(failed)
            #expect(message.hasPrefix("Could not save the theme for the next start"))
        }
    }
}
