import Foundation

/// WCAG 2.x contrast on the standard xterm-256 palette, so themes are checked by numbers rather
/// than by eye (`ThemeContrastPair`, `ThemeContrastTests`). 0–15 are measured at xterm's default
/// values, though a user's terminal may repaint them; 16–255 are fixed.
extension TerminalColor {
    /// WCAG relative luminance, 0 (black) to 1 (white); nil for the terminal's default colour,
    /// which nobody but the terminal knows.
    public var relativeLuminance: Double? {
        guard case .indexed(let index) = self else { return nil }
        let (red, green, blue) = TerminalColor.xtermRGB(index)
        func linear(_ channel: Int) -> Double {
            let value = Double(channel) / 255
            return value <= 0.04045 ? value / 12.92 : pow((value + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// The WCAG contrast ratio of two colours, from 1 (the same) to 21 (black and white); nil
    /// when either is the terminal's default.
    public static func contrastRatio(_ a: TerminalColor, _ b: TerminalColor) -> Double? {
        guard let first = a.relativeLuminance, let second = b.relativeLuminance else { return nil }
        return (max(first, second) + 0.05) / (min(first, second) + 0.05)
    }
}
