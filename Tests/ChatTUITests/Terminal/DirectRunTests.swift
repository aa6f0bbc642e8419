import Testing

@testable import ChatTUI

/// What the backend writes past curses after a frame: hyperlinks and whole emoji clusters.
@Suite struct DirectRunTests {
    init() { DisplayWidth.useUTF8Locale() }

    @Test func aLinkIsWrittenAgainInsideOSC8InItsCellsStyle() {
        var canvas = Canvas(width: 30, height: 3)
        let style = TextStyle(foreground: .indexed(4), underline: true)
        let url = "https://a.cn/x"
        canvas.put("see ", x: 0, y: 1, style: .plain)
        let id = canvas.linkID(for: url)
        let again = canvas.linkID(for: url)
        #expect(id == 1 && again == 1)
        canvas.put(url, x: 4, y: 1, style: style, link: id)
        canvas.put(" ok", x: 4 + url.count, y: 1, style: .plain)

        let runs = DirectRun.runs(in: canvas, rows: [0, 1, 2], columns: 30, wholeClusters: false)
        #expect(runs == [DirectRun(x: 4, y: 1, text: url, style: style, url: url)])
        #expect(runs.first?.cursorMove == "\u{1b}[2;5H")
        #expect(runs.first?.body == "\u{1b}]8;;https://a.cn/x\u{1b}\\https://a.cn/x\u{1b}]8;;\u{1b}\\")
        // Rows curses did not write to still show what was written there before.
        #expect(DirectRun.runs(in: canvas, rows: [0, 2], columns: 30, wholeClusters: false).isEmpty)
        // A terminal narrower than the canvas: the run ends at its edge.
        let cut = DirectRun.runs(in: canvas, rows: [1], columns: 10, wholeClusters: false)
        #expect(cut == [DirectRun(x: 4, y: 1, text: "https:", style: style, url: url)])
    }

    @Test func aStyleChangeInsideALinkSplitsTheRunNotTheLink() {
        var canvas = Canvas(width: 30, height: 1)
        let url = "https://a.cn/find-me"
        let id = canvas.linkID(for: url)
        let plain = TextStyle(underline: true)
        let match = TextStyle(underline: true, reverse: true)
        var x = canvas.put("https://a.cn/", x: 0, y: 0, style: plain, link: id)
        x = canvas.put("find", x: x, y: 0, style: match, link: id)
        canvas.put("-me", x: x, y: 0, style: plain, link: id)
        let runs = DirectRun.runs(in: canvas, rows: [0], columns: 30, wholeClusters: false)
        #expect(runs.map(\.text) == ["https://a.cn/", "find", "-me"])
        #expect(runs.map(\.x) == [0, 13, 17])
        #expect(runs.allSatisfy { $0.url == url })
    }

    @Test func emojiClustersAreWrittenWholeOnlyInFullMode() {
        var canvas = Canvas(width: 12, height: 1)
        canvas.put("a👨‍👩‍👧b🙂🇨🇳👍🏽", x: 0, y: 0, style: .plain)
        let full = DirectRun.runs(in: canvas, rows: [0], columns: 12, wholeClusters: true)
        #expect(full.map(\.x) == [1, 6, 8])
        let clusters = ["👨‍👩‍👧", "🇨🇳", "👍🏽"].map { Array($0.unicodeScalars) }
        #expect(full.map { Array($0.text.unicodeScalars) } == clusters)
        #expect(full.allSatisfy { $0.url == nil && $0.body == $0.text })
        #expect(DirectRun.runs(in: canvas, rows: [0], columns: 12, wholeClusters: false).isEmpty)
        // One that does not fit the terminal is left to curses (which draws a blank there).
        #expect(DirectRun.runs(in: canvas, rows: [0], columns: 9, wholeClusters: true).map(\.x) == [1, 6])
    }

    @Test func onlyWebLinksAreWrittenAndControlsNeverReachTheTerminal() {
        var canvas = Canvas(width: 40, height: 1)
        let id = canvas.linkID(for: "javascript:alert(1)")
        canvas.put("click", x: 0, y: 0, style: .plain, link: id)
        #expect(DirectRun.runs(in: canvas, rows: [0], columns: 40, wholeClusters: true).isEmpty)
        let run = DirectRun(x: 0, y: 0, text: "a\u{1b}[2Jb\u{07}\u{9b}", style: .plain, url: "https://a.cn")
        #expect(run.body == Hyperlink.open("https://a.cn") + "a[2Jb" + Hyperlink.close)
    }
}
