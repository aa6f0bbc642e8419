import Testing

@testable import ChatTUI

/// Wrapping is what keeps messages inside their pane; these pin down the width rules for ASCII,
/// CJK and emoji, where counting characters instead of columns would overflow.
struct TextWrapperTests {
    init() {
        // wcwidth only knows CJK and emoji are 2 wide under a UTF-8 locale.
        DisplayWidth.useUTF8Locale()
    }

    @Test func emptyTextIsOneEmptyLine() {
        #expect(TextWrapper.wrap("", width: 10) == [""])
    }

    @Test func shortTextIsUnchanged() {
        #expect(TextWrapper.wrap("hello", width: 10) == ["hello"])
        #expect(TextWrapper.wrap("hello", width: 5) == ["hello"])
    }

    @Test func wrapsAtTheLastSpaceThatFitsAndDropsIt() {
        #expect(TextWrapper.wrap("hello world", width: 5) == ["hello", "world"])
        #expect(TextWrapper.wrap("hello world", width: 8) == ["hello", "world"])
        #expect(TextWrapper.wrap("the quick brown fox jumps", width: 10) == ["the quick", "brown fox", "jumps"])
        #expect(TextWrapper.wrap("a b c d", width: 3) == ["a b", "c d"])
    }

    @Test func noLineIsWiderThanTheWidth() {
        let text = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor"
        for width in 1...30 {
            for line in TextWrapper.wrap(text, width: width) {
                #expect(DisplayWidth.of(line) <= width)
            }
        }
    }

    @Test func breaksLongWordsMidWord() {
        #expect(TextWrapper.wrap("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
        #expect(TextWrapper.wrap("hi supercalifragilistic", width: 6) == ["hi", "superc", "alifra", "gilist", "ic"])
    }

    @Test func wrapsCJKAtAnyCharacter() {
        #expect(DisplayWidth.of("你") == 2)
        #expect(TextWrapper.wrap("你好世界", width: 5) == ["你好", "世界"])
        #expect(TextWrapper.wrap("你好世界", width: 4) == ["你好", "世界"])
        #expect(TextWrapper.wrap("你好世界", width: 3) == ["你", "好", "世", "界"])
        #expect(TextWrapper.wrap("你好世界", width: 8) == ["你好世界"])
    }

    @Test func movesAWideCharacterThatWouldStraddleTheEdge() {
        #expect(TextWrapper.wrap("ab你好", width: 3) == ["ab", "你", "好"])
        #expect(TextWrapper.wrap("a你", width: 2) == ["a", "你"])
    }

    @Test func emojiAreTwoWideAndNeverSplit() {
        #expect(DisplayWidth.of(Character("🙂")) == 2)
        #expect(TextWrapper.wrap("🙂🙂🙂", width: 5) == ["🙂🙂", "🙂"])

        let thumbs = "👍🏽"
        let family = "👨‍👩‍👧"
        #expect(thumbs.count == 1)
        #expect(family.count == 1)
        #expect(TextWrapper.wrap(thumbs + thumbs + thumbs, width: 3) == [thumbs, thumbs, thumbs])
        #expect(TextWrapper.wrap(family + family, width: 2) == [family, family])
        #expect(TextWrapper.wrap("a" + family + "b", width: 2) == ["a", family, "b"])
        // Whatever the width, every grapheme comes back whole and in order.
        let text = "hi " + thumbs + family + "你好🙂 ok"
        for width in 1...12 {
            let lines = TextWrapper.wrap(text, width: width)
            let rejoined = lines.joined()
            #expect(rejoined.filter { $0 != " " } == text.filter { $0 != " " })
        }
    }

    @Test func mixedScriptsWrapAtSpacesWhenTheyCan() {
        #expect(TextWrapper.wrap("hello 你好 world", width: 8) == ["hello", "你好", "world"])
        #expect(TextWrapper.wrap("ok 🙂🙂 fine", width: 7) == ["ok 🙂🙂", "fine"])
    }

    @Test func honoursHardNewlines() {
        #expect(TextWrapper.wrap("a\nb", width: 10) == ["a", "b"])
        #expect(TextWrapper.wrap("a\n\nb", width: 10) == ["a", "", "b"])
        #expect(TextWrapper.wrap("a\n", width: 10) == ["a", ""])
        #expect(TextWrapper.wrap("\n", width: 10) == ["", ""])
        #expect(TextWrapper.wrap("a\r\nb", width: 10) == ["a", "b"])
        #expect(TextWrapper.wrap("hello world\nbye", width: 5) == ["hello", "world", "bye"])
    }

    @Test func expandsTabsToFourSpaces() {
        #expect(TextWrapper.wrap("a\tb", width: 10) == ["a    b"])
    }

    @Test func widthBelowOneIsTreatedAsOne() {
        #expect(TextWrapper.wrap("ab", width: 0) == ["a", "b"])
        #expect(TextWrapper.wrap("ab", width: -5) == ["a", "b"])
    }

    @Test func aWideCharacterOnAOneColumnLineGetsItsOwnLine() {
        #expect(TextWrapper.wrap("你好", width: 1) == ["你", "好"])
        #expect(TextWrapper.wrap("a你b", width: 1) == ["a", "你", "b"])
        #expect(TextWrapper.wrap("🙂", width: 0) == ["🙂"])
    }
}
