/// What the app needs from a terminal. The curses backend is the real one; nothing else in the
/// app knows curses exists.
public protocol TerminalBackend: AnyObject {
    /// Columns and rows now.
    var size: (width: Int, height: Int) { get }
    /// Shows the canvas (the backend repaints only what changed).
    func draw(_ canvas: Canvas)
    /// The next key, waiting at most `timeoutMilliseconds` (-1: as long as it takes) and no
    /// longer than until `wake` is raised; nil if no key came.
    func readKey(timeoutMilliseconds: Int, wake: WakeSignal) -> Key?
    /// Sets the terminal window's title.
    func setTitle(_ title: String)
    /// Rings the bell.
    func bell()
    /// A desktop notification through the terminal (OSC 777 and OSC 9).
    func notify(title: String, body: String)
    /// Puts `text` on the clipboard through the terminal (OSC 52, `Clipboard.osc52`), written
    /// past the screen's cells as hyperlinks are.
    func copyToClipboard(_ text: String)
    /// Restores the terminal to how it was found.
    func shutdown()
    /// Runs `body` with the terminal handed back as the shell had it (for `$EDITOR`), then takes
    /// it over again; the next `draw` repaints everything.
    func runWithTerminalReleased<T>(_ body: () -> T) -> T
}

extension TerminalBackend {
    /// A terminal that is not a real one has nothing to hand over.
    public func runWithTerminalReleased<T>(_ body: () -> T) -> T { body() }

    /// A terminal that is not a real one has no clipboard to reach.
    public func copyToClipboard(_ text: String) {}
}
