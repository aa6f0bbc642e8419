import Foundation

@testable import ChatTUI

/// The repository's `Themes` directory and its themes, loaded the way the app loads them.
enum RepositoryThemes {
    /// Found from this file: the directory holding Package.swift, then `Themes`.
    static func directory() throws -> String {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory.appendingPathComponent("Themes").path
            }
            directory.deleteLastPathComponent()
        }
        throw CocoaError(.fileNoSuchFile)
    }

    /// Every `Themes/*.toml` through `ThemeLoader.load`, with the loader's warning (nil when the
    /// file loaded: a broken file silently becomes the fallback theme otherwise).
    static func loaded() throws -> [(name: String, theme: Theme, warning: String?)] {
        let directory = try directory()
        return ThemeLoader.available(in: [directory]).map { name in
            let (theme, warning) = ThemeLoader.load(named: name, searchPaths: [directory])
            return (name: name, theme: theme, warning: warning)
        }
    }
}
