import Testing

@testable import ChatTUI

/// A paste is sent exactly as pasted: tabs included (once each became four spaces).
@Suite struct AppStatePasteTests {
    @Test func aPastedTabIsSentAsATab() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let code = "func f() {\n\treturn 1\n}"
        _ = state.apply(.key(.paste(code)))
        // Drawn as spaces in the input.
        #expect(AppView.render(state).contains("    return 1"))
        #expect(state.apply(.key(.enter)) == [.send(text: code, to: .direct(ScreenFixtures.bob.id))])
    }
}
