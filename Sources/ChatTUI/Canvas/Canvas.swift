/// One cell of the screen. A wide character fills its first cell; the cell after it is a
/// continuation (`text` empty, `width` 0) that the backend skips.
public struct Cell: Hashable, Sendable {
    public var text: String
    public var width: UInt8
    public var style: TextStyle
    /// The hyperlink the cell is part of: its canvas's `links` index plus one; 0 for none.
    public var link: UInt16

    public init(text: String = " ", width: UInt8 = 1, style: TextStyle = .plain, link: UInt16 = 0) {
        self.text = text
        self.width = width
        self.style = style
        self.link = link
    }

    public var isContinuation: Bool { width == 0 }
}

/// The in-memory screen every view draws into. The terminal backend copies it to the real
/// terminal; tests read it back as text.
public struct Canvas: Sendable, Equatable, CustomStringConvertible {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    /// Where the terminal cursor should be shown (the input caret), if anywhere.
    public var cursor: (x: Int, y: Int)? {
        get { cursorX.map { ($0, cursorY) } }
        set {
            cursorX = newValue?.x
            cursorY = newValue?.y ?? 0
        }
    }
    private var cursorX: Int?
    private var cursorY = 0
    /// The URLs of the hyperlinks drawn (OSC 8), which cells name by number: a URL is stored
    /// once however many cells show it.
    public private(set) var links: [String] = []
    /// What each part of the screen shows, recorded by the views: where a mouse click lands.
    public var hitMap = HitMap()

    public init(width: Int, height: Int, style: TextStyle = .plain) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: Cell(style: style), count: self.width * self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    public mutating func fill(_ rect: Rect, style: TextStyle, text: String = " ") {
        for y in max(0, rect.y)..<min(height, rect.maxY) {
            for x in max(0, rect.x)..<min(width, rect.maxX) {
                self[x, y] = Cell(text: text, width: 1, style: style)
            }
        }
    }

    /// Writes `text` from (x, y), clipped to `maxX` (exclusive, default the right edge). A wide
    /// character that would straddle the edge is not drawn; its cell is left blank. Controls are
    /// drawn as nothing. Returns the column after the last one written.
    @discardableResult
    public mutating func put(
        _ text: some StringProtocol,
        x: Int,
        y: Int,
        style: TextStyle,
        maxX: Int? = nil,
        link: UInt16 = 0
    ) -> Int {
        guard y >= 0, y < height else { return x }
        let limit = min(maxX ?? width, width)
        var column = x
        for character in text {
            let w = DisplayWidth.of(character)
            if w == 0 { continue }
            if column + w > limit { break }
            if column >= 0 {
                clearWide(at: column, y: y)
                self[column, y] = Cell(text: String(character), width: UInt8(w), style: style, link: link)
                if w == 2 {
                    clearWide(at: column + 1, y: y)
                    self[column + 1, y] = Cell(text: "", width: 0, style: style, link: link)
                }
            }
            column += w
        }
        return column
    }

    /// Before overwriting a cell, blank the other half of any wide character it belonged to.
    private mutating func clearWide(at x: Int, y: Int) {
        let cell = self[x, y]
        if cell.isContinuation, x > 0 {
            self[x - 1, y] = Cell(text: " ", width: 1, style: self[x - 1, y].style)
        } else if cell.width == 2, x + 1 < width {
            self[x + 1, y] = Cell(text: " ", width: 1, style: self[x + 1, y].style)
        }
    }

    /// The number cells use for `url` (registered the first time), for `put(_:link:)`; 0 (no
    /// link) once the numbers run out.
    public mutating func linkID(for url: String) -> UInt16 {
        if let index = links.firstIndex(of: url) { return UInt16(index + 1) }
        guard links.count < Int(UInt16.max) else { return 0 }
        links.append(url)
        return UInt16(links.count)
    }

    /// The URL of the link a cell is part of.
    public func url(of cell: Cell) -> String? {
        cell.link == 0 || Int(cell.link) > links.count ? nil : links[Int(cell.link) - 1]
    }

    /// Copies another canvas in at (x, y), its links renumbered into this one's.
    public mutating func blit(_ other: Canvas, x: Int, y: Int) {
        for row in 0..<other.height where y + row >= 0 && y + row < height {
            for column in 0..<other.width where x + column >= 0 && x + column < width {
                var cell = other[column, row]
                cell.link = other.url(of: cell).map { linkID(for: $0) } ?? 0
                self[x + column, y + row] = cell
            }
        }
    }

    /// Row `y` as plain text (wide characters once, continuations skipped).
    public func text(row y: Int) -> String {
        var line = ""
        for x in 0..<width where !self[x, y].isContinuation {
            line += self[x, y].text
        }
        return line
    }

    /// The whole screen as lines of text, trailing spaces trimmed: what tests compare.
    public var lines: [String] {
        (0..<height).map { y in
            var line = text(row: y)
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }
    }

    public var description: String { lines.joined(separator: "\n") }

    /// Whether any row contains `text`.
    public func contains(_ text: String) -> Bool {
        lines.contains { $0.contains(text) }
    }

    public static func == (a: Canvas, b: Canvas) -> Bool {
        a.width == b.width && a.height == b.height && a.cells == b.cells && a.cursorX == b.cursorX
            && a.cursorY == b.cursorY && a.links == b.links
    }
}
