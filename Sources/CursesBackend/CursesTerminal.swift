import CNCursesW
import ChatTUI
import Glibc
import Synchronization

/// The real terminal: ncurses (wide-character build) behind the app's `TerminalBackend`.
///
/// This file and `CNCursesW/shim.h` are the only places that know curses exists. Everything the
/// app draws arrives as a `Canvas`; everything the user types leaves as a `Key`.
///
/// What the app has to do besides drawing and reading keys:
/// - call `CursesTerminal.installSignalHandlers()` once at start-up and poll
///   `CursesTerminal.terminationRequested` between reads (read with a finite timeout), then call
///   `shutdown()` and exit;
/// - call `suspend()` when it sees `.control("z")` (raw mode means the terminal does not turn
///   Ctrl-Z into SIGTSTP by itself), then redraw;
/// - redraw after `.resize` (the next `draw` repaints everything).
public final class CursesTerminal: TerminalBackend {
    /// Whether to use colours at all. The app passes `.monochrome` when `NO_COLOR` is set; then
    /// only attributes (bold, reverse, …) are drawn.
    public enum ColorMode: Sendable {
        case auto
        case monochrome
    }

    // MARK: - State

    /// True once `shutdown()` ran; every later call is a no-op.
    private var isShutDown = false
    /// Whether colours are drawn (colour terminal, at least 8 colours, not monochrome mode).
    private var colorsEnabled = false
    /// `COLORS`: how many colours the terminal has.
    private var paletteSize = 0
    /// Whether `use_default_colors` worked, so -1 means "the terminal's own colour".
    private var hasDefaultColors = false
    /// Colour pairs we may allocate: `COLOR_PAIRS`, capped to what `short` holds.
    private var maxPairs: Int32 = 0
    private var nextPair: Int32 = 1
    private var pairs: [PairKey: Int16] = [:]
    private var styles: [TextStyle: (attrs: attr_t, pair: Int16)] = [:]

    /// The canvas on screen now, to diff the next one against.
    private var previous: Canvas?
    /// Repaint every cell next time (after a resize or a suspend)…
    private var needsFullRedraw = true
    /// …and also make curses clear and repaint the physical screen, because what is on it is no
    /// longer what curses thinks (the terminal reflowed it, or a shell wrote over it).
    private var needsHardRedraw = false
    /// The `curs_set` value last set, nil when unknown.
    private var cursorVisible: Bool?

    /// Input read from curses but not used yet (read-ahead while assembling a character or
    /// decoding an escape sequence). The first element is the next one.
    private var pushback: [RawInput] = []
    private let insideTmux = getenv("TMUX") != nil

    /// How long to wait after ESC for the rest of a sequence. Terminals send a whole sequence
    /// at once, people cannot type that fast, so 25 ms tells Alt-x from Esc then x.
    private static let escapeTimeout = 25
    /// A paste that goes quiet this long without its end marker is taken as finished.
    private static let pasteTimeout = 500
    /// Pastes are cut at 1 MB (the rest is read and dropped, never typed as keys).
    private static let pasteLimit = 1 << 20

    private static let bracketedPasteOn = "\u{1b}[?2004h"
    private static let bracketedPasteOff = "\u{1b}[?2004l"

    // MARK: - Set-up and tear-down

    /// Takes over the terminal.
    ///
    /// - `setlocale` first: without a UTF-8 locale ncurses treats input and output as bytes and
    ///   wide characters come out as garbage (and `wcwidth` is wrong).
    /// - `raw` rather than `cbreak`: Ctrl-C, Ctrl-Z, Ctrl-S, Ctrl-Q, Ctrl-\ arrive as keys the
    ///   app can bind, instead of signals or flow control. Ctrl-Z is handled by `suspend()`.
    /// - `nonl`: Enter arrives as "\r", distinct from Ctrl-J, and curses does not translate
    ///   newlines on output.
    /// - `keypad`: curses decodes arrow, function and editing keys into key codes.
    /// - bracketed paste: the terminal marks pasted text, so a paste is inserted as one piece
    ///   and a newline inside it never sends the message.
    ///
    /// `initscr` prints an error and exits the process if `TERM` names no usable terminal.
    public init(colorMode: ColorMode = .auto) {
        _ = setlocale(LC_ALL, "")
        _ = initscr()
        _ = raw()
        _ = noecho()
        _ = nonl()
        _ = keypad(shim_stdscr(), true)
        _ = shim_set_escdelay(Int32(Self.escapeTimeout))
        if colorMode == .auto, has_colors() {
            _ = start_color()
            hasDefaultColors = use_default_colors() == shim_ok()
            paletteSize = Int(shim_colors())
            colorsEnabled = paletteSize >= 8
            maxPairs = min(shim_color_pairs(), Int32(Int16.max))
        }
        setCursor(visible: false)
        writeOut(Self.bracketedPasteOn)
    }

    deinit {
        shutdown()
    }

    /// Gives the terminal back as it was: bracketed paste off, cursor shown, `endwin`.
    /// Safe to call more than once.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        _ = curs_set(1)
        writeOut(Self.bracketedPasteOff)
        _ = endwin()
    }

    /// Ctrl-Z: gives the terminal back to the shell and stops the process; returns once the
    /// shell continues it (`fg`), with the screen taken over again. The next `draw` repaints
    /// everything, since the shell has written over the screen. Returns false, with the screen
    /// taken back at once, when nothing stopped us (no shell with job control to come back to).
    ///
    /// Three things make this work, each of which was once missing:
    /// - SIGTSTP is unblocked on this thread for the duration. The UI thread is started from an
    ///   async context and inherits a mask that blocks it; a blocked signal went to another
    ///   thread later, after the old handler was back, and the app kept running.
    /// - It goes to the whole process group (`kill(0, …)`, as ncurses and vim do), so a script
    ///   that started us (`scripts/demo.sh`) stops too and the shell gets its prompt back.
    /// - We wait for SIGCONT before taking the terminal back, instead of assuming the stop
    ///   happened before `kill` returned.
    @discardableResult
    public func suspend() -> Bool {
        guard !isShutDown else { return false }
        writeOut(Self.bracketedPasteOff)
        _ = endwin()
        Self.continued.store(false, ordering: .relaxed)
        let previousContinue = signal(SIGCONT) { _ in CursesTerminal.continued.store(true, ordering: .relaxed) }
        let previousStop = signal(SIGTSTP, SIG_DFL)
        var stopSignals = sigset_t()
        var savedMask = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTSTP)
        sigaddset(&stopSignals, SIGCONT)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, &savedMask)
        _ = kill(0, SIGTSTP)
        // Stopped in here until `fg`. A stop the kernel discards (an orphaned process group) never
        // sends SIGCONT: give up after a second rather than hang.
        let deadline = Self.monotonicMilliseconds() + 1000
        while !Self.continued.load(ordering: .relaxed), Self.monotonicMilliseconds() < deadline {
            usleep(5000)
        }
        pthread_sigmask(SIG_SETMASK, &savedMask, nil)
        _ = signal(SIGTSTP, previousStop)
        _ = signal(SIGCONT, previousContinue)
        // Back in the program's terminal modes (raw, no echo), which the shell reset.
        _ = reset_prog_mode()
        writeOut(Self.bracketedPasteOn)
        cursorVisible = nil
        _ = clearok(shim_curscr(), true)
        _ = refresh()
        needsFullRedraw = true
        return Self.continued.load(ordering: .relaxed)
    }

    /// Set by the SIGCONT handler while `suspend()` waits.
    private static let continued = Atomic<Bool>(false)

    private static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }

    // MARK: - Signals

    /// The last termination signal received (SIGINT, SIGTERM or SIGHUP), 0 if none. An atomic,
    /// because a signal handler writes it.
    private static let terminationSignal = Atomic<Int32>(0)

    /// True once SIGINT, SIGTERM or SIGHUP arrived. The app polls this between key reads and
    /// shuts down cleanly (curses cannot be torn down safely inside a signal handler).
    public static var terminationRequested: Bool {
        terminationSignal.load(ordering: .relaxed) != 0
    }

    /// Which signal asked for termination, if one did (to exit with 128 + signal).
    public static var receivedSignal: Int32? {
        let value = terminationSignal.load(ordering: .relaxed)
        return value == 0 ? nil : value
    }

    /// Makes SIGINT, SIGTERM and SIGHUP set `terminationRequested` instead of killing the
    /// process with the terminal still in raw mode. (In raw mode Ctrl-C is a key, so these come
    /// from `kill`, a closed terminal window, or a dropped SSH connection.) SIGWINCH is left to
    /// ncurses, which reports it as `.resize`. Call once, before or after creating the terminal.
    public static func installSignalHandlers() {
        // Initialise the global here, so the handler never runs its lazy initialiser.
        _ = terminationSignal.load(ordering: .relaxed)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            _ = signal(signalNumber) { received in
                CursesTerminal.terminationSignal.store(received, ordering: .relaxed)
            }
        }
    }

    // MARK: - Size

    public var size: (width: Int, height: Int) {
        (Int(max(0, shim_cols())), Int(max(0, shim_lines())))
    }

    // MARK: - Drawing

    /// Copies the canvas to the screen.
    ///
    /// Only cells that differ from the previous canvas are handed to curses. curses itself
    /// sends only what changed to the terminal, but turning every cell into a `cchar_t` (string
    /// to wide chars, style to attributes and colour pair) on every frame of a large window
    /// costs more than the comparison; most frames change a line or two. Everything is redrawn
    /// when the size changed, after a resize, and after a suspend.
    public func draw(_ canvas: Canvas) {
        guard !isShutDown else { return }
        let (columns, rows) = size
        var full = needsFullRedraw
        if let previous, previous.width != canvas.width || previous.height != canvas.height { full = true }
        if previous == nil { full = true }
        if full {
            _ = erase()
            if needsHardRedraw { _ = clearok(shim_curscr(), true) }
        }
        let width = min(columns, canvas.width)
        let height = min(rows, canvas.height)
        let cells = canvas.cells
        let old = full ? nil : previous?.cells
        for y in 0..<height {
            let row = y * canvas.width
            for x in 0..<width {
                let cell = cells[row + x]
                if cell.isContinuation { continue }
                if let old, old[row + x] == cell { continue }
                drawCell(cell, x: x, y: y, columns: columns)
            }
        }
        if let cursor = canvas.cursor, cursor.x >= 0, cursor.y >= 0, cursor.x < columns, cursor.y < rows {
            _ = move(Int32(cursor.y), Int32(cursor.x))
            setCursor(visible: true)
        } else {
            setCursor(visible: false)
        }
        _ = refresh()
        previous = canvas
        needsFullRedraw = false
        needsHardRedraw = false
    }

    private func setCursor(visible: Bool) {
        guard cursorVisible != visible else { return }
        _ = curs_set(visible ? 1 : 0)
        cursorVisible = visible
    }

    /// One cell (a wide character also covers the next cell).
    ///
    /// curses can only put one spacing character plus a few zero-width ones in a cell, and it
    /// measures them with `wcwidth`. Where that would disagree with the canvas (which counts a
    /// flag, an emoji with U+FE0F or a ZWJ sequence as two columns), a stand-in that is exactly
    /// as wide is drawn instead, so curses, terminal and canvas agree on every column:
    /// a flag becomes its two letters ("DE"), a ZWJ sequence its first emoji, a narrow character
    /// with an emoji selector the plain character plus a space.
    private func drawCell(_ cell: Cell, x: Int, y: Int, columns: Int) {
        let style = attributes(for: cell.style)
        let scalars = Array(cell.text.unicodeScalars)
        let wide = cell.width == 2
        guard let first = scalars.first, !Self.isControl(first.value) else {
            put([0x20], x: x, y: y, style: style)
            if wide, x + 1 < columns { put([0x20], x: x + 1, y: y, style: style) }
            return
        }
        if wide {
            if x + 1 >= columns {
                put([0x20], x: x, y: y, style: style)
                return
            }
            if Self.isRegionalIndicator(first.value) {
                let letters = scalars.prefix(2).map { 0x41 + $0.value - 0x1F1E6 }
                put([letters[0]], x: x, y: y, style: style)
                put([letters.count > 1 && Self.isRegionalIndicator(scalars[1].value) ? letters[1] : 0x20],
                    x: x + 1, y: y, style: style)
                return
            }
            if shim_wcwidth(first.value) == 2 {
                put(Self.baseAndMarks(scalars, keepEmojiSelector: true), x: x, y: y, style: style)
            } else {
                put(Self.baseAndMarks(scalars, keepEmojiSelector: false), x: x, y: y, style: style)
                put([0x20], x: x + 1, y: y, style: style)
            }
        } else {
            put(Self.baseAndMarks(scalars, keepEmojiSelector: false), x: x, y: y, style: style)
        }
    }

    /// The first scalar and the zero-width ones right after it (combining marks, variation
    /// selectors), stopping at a ZWJ or the next spacing character, at most what a `cchar_t`
    /// holds (5).
    private static func baseAndMarks(_ scalars: [Unicode.Scalar], keepEmojiSelector: Bool) -> [UInt32] {
        var result: [UInt32] = [scalars[0].value]
        for scalar in scalars.dropFirst() {
            let value = scalar.value
            if value == 0x200D || result.count == 5 { break }
            if shim_wcwidth(value) != 0 { break }
            if value == 0xFE0F && !keepEmojiSelector { continue }
            result.append(value)
        }
        return result
    }

    private func put(_ text: [UInt32], x: Int, y: Int, style: (attrs: attr_t, pair: Int16)) {
        let wide = text.map { wchar_t(bitPattern: $0) }
        _ = wide.withUnsafeBufferPointer { buffer in
            shim_put_cell(Int32(y), Int32(x), buffer.baseAddress, Int32(buffer.count), style.attrs, style.pair)
        }
    }

    // MARK: - Colours

    private struct PairKey: Hashable {
        var foreground: Int16
        var background: Int16
    }

    /// Curses attributes and colour pair for a style, worked out once per style.
    private func attributes(for style: TextStyle) -> (attrs: attr_t, pair: Int16) {
        if let cached = styles[style] { return cached }
        var attrs = shim_a_normal()
        if style.bold { attrs |= shim_a_bold() }
        if style.dim { attrs |= shim_a_dim() }
        if style.italic { attrs |= shim_a_italic() }
        if style.underline { attrs |= shim_a_underline() }
        if style.reverse { attrs |= shim_a_reverse() }
        var pair: Int16 = 0
        if colorsEnabled {
            pair = colorPair(foreground: colorNumber(style.foreground, isForeground: true),
                             background: colorNumber(style.background, isForeground: false))
        }
        styles[style] = (attrs, pair)
        return (attrs, pair)
    }

    /// The curses colour number for a colour: -1 for the terminal's default, the xterm index on
    /// 256-colour terminals, the nearest of the basic 16 (or 8) otherwise.
    private func colorNumber(_ color: TerminalColor, isForeground: Bool) -> Int16 {
        switch color {
        case .terminalDefault:
            if hasDefaultColors { return -1 }
            return isForeground ? 7 : 0
        case .indexed(let index):
            if paletteSize >= 256 { return Int16(index) }
            return Int16(Self.nearestBasicColor(to: index, among: paletteSize >= 16 ? 16 : 8))
        }
    }

    /// The pair for (foreground, background), made with `init_pair` the first time it is
    /// needed. Pair 0 (the terminal's default colours) when the pairs run out.
    private func colorPair(foreground: Int16, background: Int16) -> Int16 {
        let defaultPair = hasDefaultColors ? PairKey(foreground: -1, background: -1) : PairKey(foreground: 7, background: 0)
        let key = PairKey(foreground: foreground, background: background)
        if key == defaultPair { return 0 }
        if let pair = pairs[key] { return pair }
        guard nextPair < maxPairs else { return 0 }
        let pair = Int16(nextPair)
        guard init_pair(pair, foreground, background) != shim_err() else {
            pairs[key] = 0
            return 0
        }
        nextPair += 1
        pairs[key] = pair
        return pair
    }

    /// xterm's default RGB for colours 0–15.
    private static let basicPalette: [(Int, Int, Int)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]

    /// The RGB of an xterm 256-colour index: 0–15 basic, 16–231 a 6×6×6 cube, 232–255 greys.
    private static func rgb(_ index: UInt8) -> (Int, Int, Int) {
        let i = Int(index)
        if i < 16 { return basicPalette[i] }
        if i < 232 {
            let levels = [0, 95, 135, 175, 215, 255]
            let n = i - 16
            return (levels[n / 36], levels[(n / 6) % 6], levels[n % 6])
        }
        let grey = 8 + 10 * (i - 232)
        return (grey, grey, grey)
    }

    /// The nearest (by RGB distance) of the first `count` (16 or 8) basic colours; indices
    /// already below `count` stay as they are.
    private static func nearestBasicColor(to index: UInt8, among count: Int) -> Int {
        if Int(index) < count { return Int(index) }
        let (r, g, b) = rgb(index)
        var best = 0
        var bestDistance = Int.max
        for candidate in 0..<count {
            let (cr, cg, cb) = basicPalette[candidate]
            let distance = (r - cr) * (r - cr) + (g - cg) * (g - cg) + (b - cb) * (b - cb)
            if distance < bestDistance {
                best = candidate
                bestDistance = distance
            }
        }
        return best
    }

    // MARK: - Reading keys

    /// What `get_wch` gave: a character (code point) or a curses key code.
    private enum RawInput: Equatable {
        case character(UInt32)
        case keyCode(Int32)
    }

    public func readKey(timeoutMilliseconds: Int) -> Key? {
        guard !isShutDown else { return nil }
        let deadline = timeoutMilliseconds < 0 ? nil : Self.nowMilliseconds() + timeoutMilliseconds
        while true {
            let remaining = deadline.map { max(0, $0 - Self.nowMilliseconds()) } ?? -1
            guard let raw = nextRaw(timeout: remaining) else { return nil }
            // Input that decodes to nothing (an unknown escape sequence) is skipped.
            if let key = decode(raw) { return key }
        }
    }

    private static func nowMilliseconds() -> Int {
        var now = timespec()
        _ = clock_gettime(CLOCK_MONOTONIC, &now)
        return Int(now.tv_sec) * 1000 + Int(now.tv_nsec) / 1_000_000
    }

    /// The next input, from the read-ahead first; waits up to `timeout` ms (-1: forever).
    private func nextRaw(timeout milliseconds: Int) -> RawInput? {
        if !pushback.isEmpty { return pushback.removeFirst() }
        timeout(Int32(clamping: milliseconds < 0 ? -1 : milliseconds))
        var value: wint_t = 0
        let result = shim_get_wch(&value)
        if result == shim_key_code_yes() { return .keyCode(Int32(bitPattern: UInt32(value))) }
        if result == shim_ok() { return .character(UInt32(value)) }
        return nil
    }

    private func unread(_ raw: RawInput) {
        pushback.insert(raw, at: 0)
    }

    private func decode(_ raw: RawInput) -> Key? {
        switch raw {
        case .keyCode(let code):
            return decodeKeyCode(code)
        case .character(let value):
            switch value {
            case 27: return decodeEscape()
            case 13, 10: return .enter
            case 9: return .tab
            case 8, 127: return .backspace
            case 0: return .control(" ")
            case 1...26: return .control(Character(Unicode.Scalar(UInt8(0x60 + value))))
            case 28: return .control("\\")
            case 29: return .control("]")
            case 30: return .control("^")
            case 31: return .control("_")
            case 0x80..<0xA0: return nil
            default:
                guard let scalar = Unicode.Scalar(value) else { return nil }
                return .character(assembleCharacter(startingWith: scalar))
            }
        }
    }

    /// One user-perceived character. `get_wch` hands over code points one at a time, so an
    /// accented letter typed as letter + combining mark, an emoji with a skin tone or variation
    /// selector, a ZWJ sequence or a flag arrives in pieces. Whatever is already waiting is read
    /// (without waiting) and joined while it still makes a single grapheme.
    private func assembleCharacter(startingWith scalar: Unicode.Scalar) -> Character {
        var text = String(Character(scalar))
        while let next = nextRaw(timeout: 0) {
            guard case .character(let value) = next, value >= 0x20, !Self.isControl(value),
                  let nextScalar = Unicode.Scalar(value) else {
                unread(next)
                break
            }
            var candidate = text
            candidate.unicodeScalars.append(nextScalar)
            guard candidate.count == 1 else {
                unread(next)
                break
            }
            text = candidate
        }
        return text.first ?? Character(scalar)
    }

    private func decodeKeyCode(_ code: Int32) -> Key? {
        switch code {
        case shim_key_resize():
            needsFullRedraw = true
            needsHardRedraw = true
            return .resize
        case shim_key_up(): return .up
        case shim_key_down(): return .down
        case shim_key_left(): return .left
        case shim_key_right(): return .right
        case shim_key_home(): return .home
        case shim_key_end(): return .end
        case shim_key_ppage(): return .pageUp
        case shim_key_npage(): return .pageDown
        case shim_key_dc(): return .delete
        case shim_key_backspace(): return .backspace
        case shim_key_btab(): return .backTab
        case shim_key_enter(): return .enter
        default:
            let f0 = shim_key_f0()
            if code > f0, code <= f0 + 63 { return .function(Int(code - f0)) }
            return decodeNamedKey(code)
        }
    }

    /// Keys that curses knows only by terminfo name: shifted keys (KEY_SLEFT, …) and the
    /// xterm extended names for keys with modifiers ("kLFT5" is Ctrl-Left, "kRIT3" Alt-Right;
    /// the digit is 1 + shift 1, alt 2, ctrl 4). Ctrl/Alt-Left/Right become Alt-b/Alt-f, the
    /// usual word-motion keys; other modifiers are dropped.
    private func decodeNamedKey(_ code: Int32) -> Key? {
        guard let pointer = keyname(code) else { return nil }
        let name = String(cString: pointer)
        switch name {
        case "KEY_SLEFT": return .left
        case "KEY_SRIGHT": return .right
        case "KEY_SR": return .up
        case "KEY_SF": return .down
        case "KEY_SHOME": return .home
        case "KEY_SEND": return .end
        case "KEY_SPREVIOUS": return .pageUp
        case "KEY_SNEXT": return .pageDown
        case "KEY_SDC": return .delete
        default: break
        }
        guard name.hasPrefix("k") else { return nil }
        let base = String(name.dropFirst().prefix { $0.isLetter })
        let modifier = Int(name.drop { !$0.isNumber }) ?? 2
        let altOrControl = (modifier - 1) & 6 != 0
        switch base {
        case "LFT": return altOrControl ? .alt("b") : .left
        case "RIT": return altOrControl ? .alt("f") : .right
        case "UP": return .up
        case "DN": return .down
        case "HOM": return .home
        case "END": return .end
        case "PRV": return .pageUp
        case "NXT": return .pageDown
        case "DC": return .delete
        default: return nil
        }
    }

    /// After ESC: nothing → Esc; Enter → Alt-Enter; a printable character → Alt plus it;
    /// "[" or "O" → the rest of an escape sequence curses did not translate itself (bracketed
    /// paste, keys with modifiers on terminals whose terminfo lacks them).
    private func decodeEscape() -> Key? {
        guard let next = nextRaw(timeout: Self.escapeTimeout) else { return .escape }
        switch next {
        case .keyCode(let code):
            // Alt plus a special key: keep the key (Alt-Left/Right as word motion).
            let key = decodeKeyCode(code)
            if key == .left { return .alt("b") }
            if key == .right { return .alt("f") }
            return key
        case .character(let value):
            switch value {
            case 13, 10:
                return .altEnter
            case 27:
                unread(next)
                return .escape
            case 0x5B:
                return decodeCSI()
            case 0x4F:
                return decodeSS3()
            default:
                guard value >= 0x20, !Self.isControl(value), let scalar = Unicode.Scalar(value) else {
                    // Alt plus a control key: the control key alone.
                    return decode(next)
                }
                return .alt(Character(scalar))
            }
        }
    }

    /// ESC [ parameters final.
    private func decodeCSI() -> Key? {
        var parameters = ""
        while true {
            guard let raw = nextRaw(timeout: Self.escapeTimeout) else {
                return parameters.isEmpty ? .alt("[") : nil
            }
            guard case .character(let value) = raw, (0x20...0x7E).contains(value) else {
                unread(raw)
                return parameters.isEmpty ? .alt("[") : nil
            }
            if value >= 0x40 {
                return decodeCSI(parameters: parameters, final: Character(Unicode.Scalar(UInt8(value))))
            }
            parameters.append(Character(Unicode.Scalar(UInt8(value))))
            if parameters.count > 64 { return nil }
        }
    }

    private func decodeCSI(parameters: String, final: Character) -> Key? {
        // Private sequences (mouse, terminal replies) start with < = > ?: not keys.
        if let first = parameters.first, "<=>?".contains(first) { return nil }
        let numbers = parameters.split(separator: ";", omittingEmptySubsequences: false).map {
            Int($0.prefix { $0 != ":" })
        }
        let first = numbers.first ?? nil
        let modifier = numbers.count > 1 ? (numbers[1] ?? 1) : 1
        let altOrControl = (modifier - 1) & 6 != 0
        switch final {
        case "A": return .up
        case "B": return .down
        case "C": return altOrControl ? .alt("f") : .right
        case "D": return altOrControl ? .alt("b") : .left
        case "H": return .home
        case "F": return .end
        case "Z": return .backTab
        case "P": return .function(1)
        case "Q": return .function(2)
        case "R": return .function(3)
        case "S": return .function(4)
        case "u":
            // CSI code ; modifiers u (fixterms / kitty).
            return first.flatMap { decodeModified(code: $0, modifier: modifier) }
        case "~":
            switch first {
            case 200: return readPaste()
            case 27:
                // xterm modifyOtherKeys: CSI 27 ; modifiers ; code ~
                guard numbers.count > 2, let code = numbers[2] else { return nil }
                return decodeModified(code: code, modifier: modifier)
            case 1, 7: return .home
            case 4, 8: return .end
            case 3: return .delete
            case 5: return .pageUp
            case 6: return .pageDown
            case 11, 12, 13, 14, 15: return .function(first! - 10)
            case 17, 18, 19, 20, 21: return .function(first! - 11)
            case 23, 24: return .function(first! - 12)
            default: return nil
            }
        default:
            return nil
        }
    }

    /// A key reported with its modifiers as numbers (CSI u, modifyOtherKeys). Shift/Alt/Ctrl-
    /// Enter all become Alt-Enter (a newline in the composer).
    private func decodeModified(code: Int, modifier: Int) -> Key? {
        let bits = max(0, modifier - 1)
        let shift = bits & 1 != 0, alt = bits & 2 != 0, control = bits & 4 != 0
        switch code {
        case 13: return shift || alt || control ? .altEnter : .enter
        case 9: return shift ? .backTab : .tab
        case 8, 127: return .backspace
        case 27: return .escape
        default:
            guard code >= 0x20, code < 0x110000, !Self.isControl(UInt32(code)),
                  let scalar = Unicode.Scalar(UInt32(code)) else { return nil }
            let character = Character(scalar)
            if control, let letter = character.lowercased().first, letter.isASCII, letter.isLetter {
                return .control(letter)
            }
            return alt ? .alt(character) : .character(character)
        }
    }

    /// ESC O final (SS3): arrows, Home/End, F1–F4 in application mode.
    private func decodeSS3() -> Key? {
        guard let raw = nextRaw(timeout: Self.escapeTimeout) else { return .alt("O") }
        if case .character(let value) = raw {
            switch value {
            case 0x41: return .up
            case 0x42: return .down
            case 0x43: return .right
            case 0x44: return .left
            case 0x48: return .home
            case 0x46: return .end
            case 0x4D: return .enter
            case 0x50, 0x51, 0x52, 0x53: return .function(Int(value) - 0x4F)
            default: break
            }
        }
        unread(raw)
        return .alt("O")
    }

    /// Everything up to ESC [ 201 ~ as one paste. Line breaks (terminals send "\r") become
    /// "\n"; other control characters are dropped, so pasted escape sequences stay inert.
    /// Text beyond `pasteLimit` bytes is read and thrown away.
    private func readPaste() -> Key? {
        let endMarker: [UInt32] = [27, 0x5B, 0x32, 0x30, 0x31, 0x7E]
        var matched = 0
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        var lastWasCR = false

        func emit(_ value: UInt32) {
            var value = value
            if value == 10, lastWasCR {
                lastWasCR = false
                return
            }
            lastWasCR = value == 13
            if value == 13 { value = 10 }
            if value != 10, value != 9, Self.isControl(value) { return }
            guard let scalar = Unicode.Scalar(value) else { return }
            let length = UTF8.width(scalar)
            guard bytes + length <= Self.pasteLimit else { return }
            bytes += length
            scalars.append(scalar)
        }

        while let raw = nextRaw(timeout: Self.pasteTimeout) {
            switch raw {
            case .keyCode(let code):
                // curses recognised a key sequence inside the paste; keep only line breaks.
                for held in endMarker[0..<matched] { emit(held) }
                matched = 0
                if code == shim_key_enter() { emit(10) }
            case .character(let value):
                if value == endMarker[matched] {
                    matched += 1
                    if matched == endMarker.count {
                        return scalars.isEmpty ? nil : .paste(String(scalars))
                    }
                    continue
                }
                for held in endMarker[0..<matched] { emit(held) }
                matched = value == endMarker[0] ? 1 : 0
                if matched == 0 { emit(value) }
            }
        }
        // The terminal went quiet without the end marker: take what came.
        return scalars.isEmpty ? nil : .paste(String(scalars))
    }

    private static func isControl(_ value: UInt32) -> Bool {
        value < 0x20 || (0x7F..<0xA0).contains(value)
    }

    private static func isRegionalIndicator(_ value: UInt32) -> Bool {
        (0x1F1E6...0x1F1FF).contains(value)
    }

    // MARK: - Title, bell, notifications

    /// Sets the window title with OSC 0. Sent as is inside tmux too: tmux keeps it as the pane
    /// title and passes it on to the outer terminal when its `set-titles` option is on.
    public func setTitle(_ title: String) {
        guard !isShutDown else { return }
        writeOut("\u{1b}]0;" + Self.stripControls(title) + "\u{07}")
    }

    public func bell() {
        guard !isShutDown else { return }
        _ = beep()
    }

    /// A desktop notification, sent both as OSC 777 (rxvt, foot, WezTerm, Ghostty…) and OSC 9
    /// (iTerm2, Windows Terminal, kitty…); terminals ignore the one they do not know. Inside
    /// tmux they go through tmux passthrough (needs `set -g allow-passthrough on`), since tmux
    /// drops OSC sequences it does not know.
    public func notify(title: String, body: String) {
        guard !isShutDown else { return }
        let cleanTitle = Self.stripControls(title, alsoRemoving: ";")
        let cleanBody = Self.stripControls(body, alsoRemoving: ";")
        writeOut(tmuxWrapped("\u{1b}]777;notify;\(cleanTitle);\(cleanBody)\u{1b}\\")
            + tmuxWrapped("\u{1b}]9;\(cleanTitle): \(cleanBody)\u{1b}\\"))
    }

    /// Inside tmux: the sequence wrapped in a DCS passthrough, every ESC in it doubled.
    private func tmuxWrapped(_ sequence: String) -> String {
        guard insideTmux else { return sequence }
        var wrapped = "\u{1b}Ptmux;"
        for scalar in sequence.unicodeScalars {
            if scalar == "\u{1b}" { wrapped.unicodeScalars.append(scalar) }
            wrapped.unicodeScalars.append(scalar)
        }
        return wrapped + "\u{1b}\\"
    }

    /// Control characters (which could end the sequence early or inject another) removed.
    private static func stripControls(_ text: String, alsoRemoving extra: Unicode.Scalar? = nil) -> String {
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !isControl(scalar.value) && scalar != extra {
            result.append(scalar)
        }
        return String(result)
    }

    /// Writes straight to the terminal, past curses (which has no call for OSC sequences or
    /// private modes), flushed at once so it never lands in the middle of a curses update.
    private func writeOut(_ text: String) {
        _ = fputs(text, stdout)
        _ = fflush(stdout)
    }
}
