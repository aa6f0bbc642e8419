/// Colour arithmetic on the standard xterm-256 palette: themes are written for 256 colours, but
/// some terminals (the Linux console, `TERM=xterm`) only have 16, and theme authors like to write
/// `#rrggbb`. Distances are plain squared RGB distances: simple, predictable, good enough here.
extension TerminalColor {
    /// The closest of the 16 basic colours, for terminals that have no more. The terminal's
    /// default stays the default; 0–15 are returned unchanged.
    public var nearest16: TerminalColor { nearestBasic(count: 16) }

    /// The closest of the first `count` basic colours (16, or 8 on the oldest terminals):
    /// what the curses backend draws when the terminal has fewer than 256. The terminal's
    /// default stays the default; an index below `count` is returned unchanged.
    public func nearestBasic(count: Int) -> TerminalColor {
        guard case .indexed(let index) = self else { return self }
        if Int(index) < count { return self }
        let target = TerminalColor.xtermRGB(index)
        let best = (0..<count).min { a, b in
            TerminalColor.distance(target, TerminalColor.xtermRGB(UInt8(a)))
                < TerminalColor.distance(target, TerminalColor.xtermRGB(UInt8(b)))
        }!
        return .indexed(UInt8(best))
    }

    /// The closest xterm-256 index for an RGB colour. Only 16–255 are considered: those have
    /// fixed values, while 0–15 are whatever the user's terminal palette says.
    public static func nearest256(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
        let target = (Int(red), Int(green), Int(blue))
        let best = (16...255).min { a, b in
            distance(target, xtermRGB(UInt8(a))) < distance(target, xtermRGB(UInt8(b)))
        }!
        return UInt8(best)
    }

    /// The standard xterm RGB value of a palette index.
    static func xtermRGB(_ index: UInt8) -> (Int, Int, Int) {
        let i = Int(index)
        if i < 16 { return basicPalette[i] }
        if i >= 232 {
            let grey = 8 + 10 * (i - 232)
            return (grey, grey, grey)
        }
        let levels = [0, 95, 135, 175, 215, 255]
        let cube = i - 16
        return (levels[cube / 36], levels[cube / 6 % 6], levels[cube % 6])
    }

    /// xterm's defaults for the 16 basic colours.
    private static let basicPalette: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
        (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
        (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    private static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let (dr, dg, db) = (a.0 - b.0, a.1 - b.1, a.2 - b.2)
        return dr * dr + dg * dg + db * db
    }
}
