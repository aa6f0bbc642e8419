/// What the app needs from a terminal. The curses backend is the real one; nothing else in the
/// app knows curses exists.
public protocol TerminalBackend: AnyObject {
    /// Columns and rows now.
    var size: (width: Int, height: Int) { get }
    /// Shows the canvas (the backend repaints only what changed).
    func draw(_ canvas: Canvas)
    /// The next key, waiting at most `timeoutMilliseconds`; nil if none came.
    func readKey(timeoutMilliseconds: Int) -> Key?
    /// Sets the terminal window's title.
    func setTitle(_ title: String)
    /// Rings the bell.
    func bell()
    /// A desktop notification through the terminal (OSC 777 and OSC 9).
    func notify(title: String, body: String)
    /// Restores the terminal to how it was found.
    func shutdown()
}
