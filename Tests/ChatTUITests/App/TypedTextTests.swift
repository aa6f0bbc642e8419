import ChatClient
import Testing

@testable import ChatTUI

/// What is typed is sent exactly, code point for code point, whatever the emoji mode draws:
/// the terminal's code points go through the key decoder, the input, and out as the message.
@Suite struct TypedTextTests {
    init() { DisplayWidth.useUTF8Locale() }

    /// `input` as a terminal hands it over, one code point at a time, decoded and applied.
    func typeAsATerminal(_ input: String, into state: inout AppState) {
        var pending = input.unicodeScalars.map { TerminalInput.scalar($0.value) }
        var decoder = KeyDecoder()
        while let key = decoder.nextKey(
            timeoutMilliseconds: 0,
            clock: { 0 },
            from: { _ in
                pending.isEmpty ? nil : pending.removeFirst()
            }
        ) {
            _ = state.apply(.key(key))
        }
    }

    /// The text of the message Enter sends.
    func sent(_ state: inout AppState) -> String? {
        for effect in state.apply(.key(.enter)) {
            if case .send(let text, _, _, _, _) = effect { return text }
        }
        return nil
    }

    @Test(arguments: [
        "👨\u{200D}👩\u{200D}👧", "🇨🇳🇩🇪", "👍🏽", "👩🏽\u{200D}💻 写代码", "🏳️\u{200D}🌈 e\u{301} ❤️ 1️⃣",
    ])
    func emojiAreSentExactlyAsTyped(_ text: String) throws {
        for mode in EmojiMode.allCases {
            var state = ScreenFixtures.mainState(width: 80, height: 24)
            state.emojiMode = mode
            typeAsATerminal(text, into: &state)
            #expect(state.input.text.unicodeScalars.elementsEqual(text.unicodeScalars), "\(mode)")
            _ = AppView.render(state)
            let message = try #require(sent(&state))
            #expect(Array(message.unicodeScalars) == Array(text.unicodeScalars), "\(mode)")
        }
    }

    @Test func aPastedTabIsSentAsATab() throws {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        typeAsATerminal("\u{1b}[200~def f():\n\treturn 1\u{1b}[201~", into: &state)
        #expect(state.input.text == "def f():\n\treturn 1")
        let message = try #require(sent(&state))
        #expect(Array(message.unicodeScalars) == Array("def f():\n\treturn 1".unicodeScalars))
    }
}
