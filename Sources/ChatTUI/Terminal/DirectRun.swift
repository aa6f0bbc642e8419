/// Text the backend writes to the terminal itself once curses has drawn a frame: what a curses
/// cell cannot carry.
///
/// - A run of cells of one hyperlink: curses has no attribute for OSC 8, so the run's text is
///   written again inside `Hyperlink.open`/`close`, over the same cells with the same style.
/// - In `full` emoji mode, an emoji cluster of several code points (a family, a flag, a skin
///   tone): a curses cell holds one spacing character, so curses draws a stand-in (the first
///   emoji, a flag's letters) and the cluster is written whole over it.
///
/// Curses keeps believing its own cells are on screen; both are the same width, so every
/// other column stays where curses thinks it is.
public struct DirectRun: Equatable, Sendable {
    public var x: Int
    public var y: Int
    /// The cells' text (wide characters once), controls removed.
    public var text: String
    public var style: TextStyle
    /// The link's URL, already made safe (`Hyperlink.safeURL`); nil for an emoji cluster.
    public var url: String?

    public init(x: Int, y: Int, text: String, style: TextStyle, url: String? = nil) {
        self.x = x
        self.y = y
        self.text = text
        self.style = style
        self.url = url
    }

    /// Moves the cursor to the run (CUP, 1-based).
    public var cursorMove: String { "\u{1b}[\(y + 1);\(x + 1)H" }

    /// Before the runs: automatic wrap off. A terminal that draws a cluster wider than two
    /// columns (one that splits a family into three pictures) then clips it at the right edge
    /// instead of wrapping onto the next row, or scrolling the screen on the last.
    public static let prologue = "\u{1b}[?7l"
    /// After the runs: automatic wrap back on, as curses expects it.
    public static let epilogue = "\u{1b}[?7h"

    /// What to write once the cursor is there and the style is set.
    public var body: String {
        var clean = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !ControlCharacter.contains(scalar.value) { clean.append(scalar) }
        guard let url else { return String(clean) }
        return Hyperlink.open(url) + String(clean) + Hyperlink.close
    }

    /// The runs on `rows` of `canvas`, left to right, within the first `columns` columns (what
    /// the terminal has). `wholeClusters`: the `full` emoji mode.
    public static func runs(in canvas: Canvas, rows: [Int], columns: Int, wholeClusters: Bool) -> [DirectRun] {
        let limit = min(columns, canvas.width)
        var runs: [DirectRun] = []
        for y in rows where y >= 0 && y < canvas.height {
            var x = 0
            while x < limit {
                let cell = canvas[x, y]
                if cell.isContinuation {
                    x += 1
                    continue
                }
                if cell.link != 0, let url = canvas.url(of: cell).flatMap(Hyperlink.safeURL) {
                    var run = DirectRun(x: x, y: y, text: "", style: cell.style, url: url)
                    var end = x
                    while end < limit {
                        let next = canvas[end, y]
                        let width = max(1, Int(next.width))
                        guard next.link == cell.link, next.style == cell.style, !next.isContinuation,
                            end + width <= limit, wholeClusters || !EmojiDisplay.needsDirectWrite(next.text)
                        else { break }
                        run.text += next.text
                        end += width
                    }
                    if !run.text.isEmpty { runs.append(run) }
                    x = max(end, x + 1)
                    continue
                }
                if wholeClusters, cell.width == 2, x + 1 < limit, EmojiDisplay.needsDirectWrite(cell.text) {
                    runs.append(DirectRun(x: x, y: y, text: cell.text, style: cell.style))
                }
                x += max(1, Int(cell.width))
            }
        }
        return runs
    }
}
