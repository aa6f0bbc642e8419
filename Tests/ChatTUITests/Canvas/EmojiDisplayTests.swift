import ChatClient
import Testing

@testable import ChatTUI

/// Families, flags and skin tones in each `[display] emoji` mode: what is drawn and how wide.
@Suite struct EmojiDisplayTests {
    init() { DisplayWidth.useUTF8Locale() }

    static let family = "👨\u{200D}👩\u{200D}👧"
    static let flag = "🇨🇳"
    static let skinTone = "👍🏽"

    struct Case: Sendable, CustomTestStringConvertible {
        var cluster: String
        var mode: EmojiMode
        /// What is drawn, code point by code point.
        var drawn: [UInt32]
        var width: Int
        var testDescription: String { "\(cluster) \(mode)" }
    }

    static let cases: [Case] = [
        Case(cluster: family, mode: .full, drawn: [0x1F468, 0x200D, 0x1F469, 0x200D, 0x1F467], width: 2),
        Case(cluster: flag, mode: .full, drawn: [0x1F1E8, 0x1F1F3], width: 2),
        Case(cluster: skinTone, mode: .full, drawn: [0x1F44D, 0x1F3FD], width: 2),
        Case(cluster: family, mode: .single, drawn: [0x1F468], width: 2),
        // A lone regional indicator is drawn differently everywhere: the flag stays, and the
        // backend draws its letters.
        Case(cluster: flag, mode: .single, drawn: [0x1F1E8, 0x1F1F3], width: 2),
        Case(cluster: skinTone, mode: .single, drawn: [0x1F44D], width: 2),
        Case(cluster: family, mode: .text, drawn: Array("[man + woman + girl]".unicodeScalars.map(\.value)), width: 20),
        Case(cluster: flag, mode: .text, drawn: Array("[flag CN]".unicodeScalars.map(\.value)), width: 9),
        Case(cluster: skinTone, mode: .text, drawn: Array("[thumbs up sign]".unicodeScalars.map(\.value)), width: 16),
    ]

    @Test(arguments: cases)
    func eachModeDrawsAClusterAtItsWidth(_ row: Case) {
        let shown = EmojiDisplay.displayed(row.cluster, mode: row.mode)
        #expect(shown.unicodeScalars.map(\.value) == row.drawn)
        #expect(DisplayWidth.of(shown) == row.width)
        // Around other text: only the cluster changes.
        let around = EmojiDisplay.displayed("a" + row.cluster + "你", mode: row.mode)
        #expect(around.unicodeScalars.map(\.value) == [0x61] + row.drawn + [0x4F60])
        #expect(DisplayWidth.of(around) == row.width + 3)
    }

    @Test func aClusterTakesOneCanvasCellTwoColumnsWide() {
        for cluster in [Self.family, Self.flag, Self.skinTone] {
            var canvas = Canvas(width: 6, height: 1)
            let end = canvas.put("a" + cluster + "b", x: 0, y: 0, style: .plain)
            #expect(end == 4)
            #expect(canvas[1, 0].text.unicodeScalars.elementsEqual(cluster.unicodeScalars))
            #expect(canvas[1, 0].width == 2 && canvas[2, 0].isContinuation && canvas[3, 0].text == "b")
        }
    }

    @Test func textThatIsNotAnEmojiPictureIsLeftAlone() {
        let plain = "a1#©® é 你好 ★ →"
        for mode in EmojiMode.allCases {
            #expect(EmojiDisplay.displayed(plain, mode: mode).unicodeScalars.elementsEqual(plain.unicodeScalars))
        }
        #expect(EmojiDisplay.displayed("❤️", mode: .text) == "[heavy black heart]")
        #expect(EmojiDisplay.displayed("1️⃣", mode: .text) == "[digit one]")
        #expect(EmojiDisplay.displayed("🙂", mode: .single) == "🙂")
    }

    @Test func onlyMultiCodePointEmojiAreWrittenPastCurses() {
        for cluster in [Self.family, Self.flag, Self.skinTone, "❤️", "🏳️‍🌈"] {
            #expect(EmojiDisplay.needsDirectWrite(cluster), "\(cluster)")
        }
        for simple in ["🙂", "你", "e\u{301}", "a", "", "ab"] {
            #expect(!EmojiDisplay.needsDirectWrite(simple), "\(simple)")
        }
    }

    /// The conversation as each mode draws it; the message itself is never changed.
    @Test func theChatPaneDrawsMessagesInTheChosenMode() throws {
        let text = "hi \(Self.family) \(Self.flag) \(Self.skinTone)"
        var state = ScreenFixtures.mainState(width: 100, height: 24)
        let bob = ScreenFixtures.bob
        var view = ConversationView()
        view.merge([ScreenFixtures.message(50, from: bob, to: ScreenFixtures.alice, seq: 1, text)])
        view.olderAvailable = false
        state.conversations[.direct(bob.id)] = view

        state.emojiMode = .text
        #expect(AppView.render(state).contains("hi [man + woman + girl] [flag CN] [thumbs up sign]"))

        state.emojiMode = .single
        let single = AppView.render(state)
        let cells = single.cells.map(\.text)
        #expect(cells.contains("👨") && cells.contains("👍") && cells.contains(Self.flag))
        #expect(!cells.contains(Self.family) && !cells.contains(Self.skinTone))

        state.emojiMode = .full
        let full = AppView.render(state).cells
        for cluster in [Self.family, Self.flag, Self.skinTone] {
            #expect(full.contains { $0.text.unicodeScalars.elementsEqual(cluster.unicodeScalars) && $0.width == 2 })
        }
        let stored = try #require(state.conversations[.direct(bob.id)]?.messages.first?.text)
        #expect(stored.unicodeScalars.elementsEqual(text.unicodeScalars))
    }
}
