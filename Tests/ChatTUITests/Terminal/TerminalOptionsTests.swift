import Testing

@testable import ChatTUI

/// What the config asks of the terminal backend: mouse reporting and the emoji mode.
@Suite struct TerminalOptionsTests {
    @Test func mouseIsOnAndEmojiFullByDefault() {
        let options = TerminalOptions(config: AppConfig())
        #expect(options.mouseEvents == [.press, .wheelUp, .wheelDown])
        #expect(options.emoji == .full)
    }

    @Test func mouseOffInTheConfigAsksTheTerminalForNoMouseEvents() throws {
        let (config, warnings) = try AppConfig.parse("[ui]\nmouse = false\n\n[display]\nemoji = \"single\"\n")
        #expect(warnings.isEmpty)
        #expect(!config.mouse)
        #expect(config.emoji == .single)
        let options = TerminalOptions(config: config)
        #expect(options.mouseEvents.isEmpty)
        #expect(options.emoji == .single)
    }

    @Test func everyEmojiModeIsReadAnyCase() throws {
        for mode in EmojiMode.allCases {
            let (config, warnings) = try AppConfig.parse("[display]\nemoji = \"\(mode.rawValue.uppercased())\"\n")
            #expect(warnings.isEmpty)
            #expect(config.emoji == mode)
        }
    }

    @Test func wrongValuesAreSkippedWithAWarningNamingTheLine() throws {
        let (config, warnings) = try AppConfig.parse("[ui]\nmouse = \"no\"\n[display]\nemoji = \"sparkly\"\n")
        #expect(config.mouse)
        #expect(config.emoji == .full)
        #expect(warnings.contains("line 2: 'ui.mouse' must be true or false; ignored"))
        #expect(warnings.contains("line 4: 'display.emoji' must be \"full\", \"single\" or \"text\"; ignored"))
        #expect(warnings.count == 2)
    }
}
