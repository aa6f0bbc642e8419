import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// A form's error is read whole: wrapped over the rows free below it, not cut at the box's width.
@Suite struct FormViewTests {
    init() { DisplayWidth.useUTF8Locale() }

    static func registerState(error: String) -> AppState {
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        state.width = 80
        state.height = 24
        state.screen = .register
        state.register.error = error
        return state
    }

    @Test func aLongErrorWrapsOverTheFreeRowsAt80x24() {
        let error =
            "The server at chat.example.org:8888 answered with something this client does not understand: "
            + "it may run another version, or a proxy in between rewrote the answer. Check the address and "
            + "try again."
        let canvas = AppView.render(Self.registerState(error: error))
        // Every word is on screen, none cut.
        for word in error.split(separator: " ") {
            #expect(canvas.contains(String(word)), "“\(word)” is missing:\n\(canvas.description)")
        }
        #expect(!canvas.contains("…"))
        // On rows one under another, the rows after the first lined up under its text.
        guard let first = canvas.lines.firstIndex(where: { $0.contains("✗ The server at") }) else {
            Issue.record("no error row:\n\(canvas.description)")
            return
        }
        let textColumn = canvas.lines[first].distance(
            from: canvas.lines[first].startIndex,
            to: canvas.lines[first].range(of: "The server at")!.lowerBound
        )
        let second = canvas.lines[first + 1]
        let secondText = second.dropFirst(textColumn)
        #expect(second.prefix(textColumn).allSatisfy { $0 == " " || $0 == "│" }, "\(second)")
        #expect(secondText.first?.isLetter == true, "the second row starts under the text: \(second)")
        // The keys at the foot of the form stay.
        #expect(canvas.contains("F5 send code"))
        OverlayAndFormScreenTests.expectWhole(canvas, "register with a long error")
    }

    @Test func anErrorLongerThanTheFreeRowsEndsInAnEllipsis() {
        let error = Array(repeating: "far too long", count: 60).joined(separator: " ") + " THE-END"
        let canvas = AppView.render(Self.registerState(error: error))
        #expect(canvas.contains("…"))
        #expect(!canvas.contains("THE-END"))
        // It never runs over the keys at the foot of the form.
        #expect(canvas.contains("F5 send code"))
        OverlayAndFormScreenTests.expectWhole(canvas, "register with an endless error")
    }

    @Test func wrappedRowsAreIndentedUnderTheMark() {
        let rows = FormMessageLines.wrap("✗ ", "one two three four", width: 11, rows: 5)
        #expect(rows == ["✗ one two", "  three", "  four"])
        let cut = FormMessageLines.wrap("✗ ", "one two three four", width: 11, rows: 2)
        #expect(cut == ["✗ one two", "  three…"])
    }
}
