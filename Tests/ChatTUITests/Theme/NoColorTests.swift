import Foundation
import Testing

@testable import ChatTUI

/// NO_COLOR (https://no-color.org): set and not empty means no colour, and then the app draws
/// with the built-in monochrome theme, which must stay the same as Themes/monochrome.toml.
@Suite struct NoColorTests {
    @Test func setAndNotEmptyMeansNoColour() {
        #expect(!NoColor.isRequested(environment: [:]))
        #expect(!NoColor.isRequested(environment: ["NO_COLOR": ""]), "empty means unset")
        #expect(NoColor.isRequested(environment: ["NO_COLOR": "1"]))
        #expect(NoColor.isRequested(environment: ["NO_COLOR": "0"]), "any value counts, even 0")
        #expect(!NoColor.isRequested(environment: ["NO_COLOUR": "1"]))
    }

    @Test func withoutColourTheThemeIsMonochromeWhateverWasChosen() throws {
        let light = try ThemeLoader.parse("[base]\nfg = 235\nbg = 231\n", name: "light")
        #expect(NoColor.theme(light, noColor: true) == .monochrome)
        #expect(NoColor.theme(.fallback, noColor: true) == .monochrome)
        #expect(NoColor.theme(light, noColor: false) == light)
        for role in ThemeRole.allCases {
            #expect(Theme.monochrome[role].foreground == .terminalDefault, "\(role.rawValue)")
            #expect(Theme.monochrome[role].background == .terminalDefault, "\(role.rawValue)")
        }
    }

    @Test func builtInMonochromeMatchesItsFile() throws {
        let (theme, warning) = ThemeLoader.load(named: "monochrome", searchPaths: [try RepositoryThemes.directory()])
        #expect(warning == nil)
        for role in ThemeRole.allCases {
            #expect(theme[role] == Theme.monochrome[role], "Theme.monochrome [\(role.rawValue)] differs from the file")
        }
        #expect(theme == Theme.monochrome)
        #expect(Theme.monochrome.styles.count == ThemeRole.allCases.count)
    }

    /// Monochrome has one way to mark each kind of friend row, and they must not collide.
    @Test func monochromeRowAttributesDoNotCollide() {
        let theme = Theme.monochrome
        #expect(theme[.selection].reverse && !theme[.selection].bold, "selected is reverse, not bold")
        #expect(!theme[.base].bold && !theme[.base].reverse, "a normal row is plain")
        #expect(!theme[.unreadBadge].reverse, "the badge must show on a reversed row")
        #expect(theme[.unreadBadge].bold)
    }
}
