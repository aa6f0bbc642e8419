/// Framed panels: the border and the title every pane and dialog has.
enum Box {
    static func draw(
        _ canvas: inout Canvas,
        _ rect: Rect,
        title: String? = nil,
        style: TextStyle,
        titleStyle: TextStyle,
        fill: TextStyle? = nil
    ) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        if let fill { canvas.fill(rect.inset(1), style: fill) }
        let horizontal = String(repeating: "─", count: rect.width - 2)
        canvas.put("┌" + horizontal + "┐", x: rect.x, y: rect.y, style: style)
        canvas.put("└" + horizontal + "┘", x: rect.x, y: rect.maxY - 1, style: style)
        for y in (rect.y + 1)..<(rect.maxY - 1) {
            canvas.put("│", x: rect.x, y: y, style: style)
            canvas.put("│", x: rect.maxX - 1, y: y, style: style)
        }
        if let title, rect.width > 6 {
            let text = " " + DisplayWidth.truncate(title, to: rect.width - 6) + " "
            canvas.put(text, x: rect.x + 2, y: rect.y, style: titleStyle)
        }
    }

    /// Text right-aligned so it ends at `maxX`.
    @discardableResult
    static func putRight(_ canvas: inout Canvas, _ text: String, maxX: Int, y: Int, style: TextStyle) -> Int {
        let x = maxX - DisplayWidth.of(text)
        canvas.put(text, x: x, y: y, style: style, maxX: maxX)
        return x
    }
}
