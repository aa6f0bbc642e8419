import Foundation
import Testing

@testable import ChatTUI

/// OSC 52: the text travels as base64, so nothing in a message can end the sequence or start
/// another; an over-long one is cut between characters.
@Suite struct ClipboardTests {
    @Test func theTextIsBase64InsideOneSequence() {
        #expect(Clipboard.osc52("hi") == "\u{1b}]52;c;aGk=\u{1b}\\")
        let hostile = "a\u{1b}]52;c;evil\u{07}\u{1b}\\ 你好 👨‍👩‍👧"
        let sequence = Clipboard.osc52(hostile)
        let body = sequence.dropFirst("\u{1b}]52;c;".count).dropLast(2)
        #expect(!body.contains("\u{1b}") && !body.contains("\u{07}"))
        #expect(Data(base64Encoded: String(body)).map { String(decoding: $0, as: UTF8.self) } == hostile)
    }

    @Test func aLongTextIsCutBetweenCharacters() throws {
        let text = String(repeating: "好", count: Clipboard.maximumBytes)
        let body = Clipboard.osc52(text).dropFirst("\u{1b}]52;c;".count).dropLast(2)
        let decoded = try #require(Data(base64Encoded: String(body)))
        #expect(decoded.count <= Clipboard.maximumBytes && decoded.count % 3 == 0 && !decoded.isEmpty)
        let kept = try #require(String(data: decoded, encoding: .utf8))
        #expect(kept.allSatisfy { $0 == "好" })
    }
}
