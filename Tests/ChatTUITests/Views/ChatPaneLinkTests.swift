import ChatClient
import Testing

@testable import ChatTUI

/// Web links in messages: their cells carry the link (the backend makes them OSC 8 hyperlinks).
@Suite struct ChatPaneLinkTests {
    init() { DisplayWidth.useUTF8Locale() }

    func stateShowing(_ text: String, width: Int, height: Int) -> AppState {
        var state = ScreenFixtures.mainState(width: width, height: height)
        var view = ConversationView()
        view.merge([ScreenFixtures.message(60, from: ScreenFixtures.bob, to: ScreenFixtures.alice, seq: 1, text)])
        view.olderAvailable = false
        state.conversations[.direct(ScreenFixtures.bob.id)] = view
        return state
    }

    /// The text of the linked cells in reading order, and the rows they are on.
    func linked(_ canvas: Canvas) -> (text: String, rows: Set<Int>) {
        var text = ""
        var rows = Set<Int>()
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where canvas[x, y].link != 0 {
                if !canvas[x, y].isContinuation { text += canvas[x, y].text }
                rows.insert(y)
            }
        }
        return (text, rows)
    }

    @Test func theCellsOfALinkCarryItsURL() throws {
        let url = "https://example.com/docs?lang=zh#intro"
        let canvas = AppView.render(stateShowing("看这个 \(url)。很有用", width: 100, height: 24))
        #expect(canvas.links == [url])
        #expect(linked(canvas).text == url)
        for cell in canvas.cells where cell.link != 0 {
            #expect(canvas.url(of: cell) == url)
            #expect(cell.style.underline)
        }
        // The words around it are plain text.
        let row = try #require(linked(canvas).rows.first)
        #expect(canvas.text(row: row).contains("看这个 \(url)。很有用"))
    }

    @Test func aLinkBrokenOverSeveralRowsIsOneLinkOnEach() {
        let url = "https://example.com/a/rather/long/path/that/has/to/wrap?q=1"
        let canvas = AppView.render(stateShowing("read \(url), then reply", width: 60, height: 20))
        let (text, rows) = linked(canvas)
        #expect(text == url)
        #expect(rows.count >= 3)
        #expect(canvas.links == [url])
        #expect(canvas.cells.filter { $0.link != 0 }.allSatisfy { canvas.url(of: $0) == url })
    }

    @Test func aMessageWithoutALinkHasNoLinkedCells() {
        let canvas = AppView.render(stateShowing("ftp://example.com and example.com", width: 80, height: 24))
        #expect(canvas.links.isEmpty)
        #expect(canvas.cells.allSatisfy { $0.link == 0 })
    }
}
