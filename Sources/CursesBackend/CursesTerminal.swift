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
/// - call `CursesTerminal.installSignalHandlers()` once at start-up and check
///   `CursesTerminal.terminationRequested` after each read (a termination signal ends the wait
///   of `readKey`), then call `shutdown()` and exit;
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

    /// Turns what curses reads into keys (sequences, Alt, paste, graphemes): the tested part.
    private var decoder = KeyDecoder()
    private let insideTmux = getenv("TMUX") != nil
    /// The mouse events to report and the emoji mode, from the config.
    private let options: TerminalOptions

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
    /// - mouse reporting, only for the events `options` names (none when `[ui] mouse = false`):
    ///   while it is on, the terminal selects text only with Shift held.
    ///
    /// `initscr` prints an error and exits the process if `TERM` names no usable terminal.
    public init(colorMode: ColorMode = .auto, options: TerminalOptions = TerminalOptions()) {
        self.options = options
        _ = setlocale(LC_ALL, "")
        _ = initscr()
        _ = raw()
        _ = noecho()
        _ = nonl()
        _ = keypad(shim_stdscr(), true)
        _ = shim_set_escdelay(Int32(KeyDecoder.escapeTimeout))
        if !options.mouseEvents.isEmpty {
            let wheel = options.mouseEvents.contains(.wheelUp) || options.mouseEvents.contains(.wheelDown)
            _ = shim_enable_mouse(options.mouseEvents.contains(.press) ? 1 : 0, wheel ? 1 : 0)
        }
        if colorMode == .auto, has_colors() {
            _ = start_color()
            hasDefaultColors = use_default_colors() == shim_ok()
            paletteSize = Int(shim_colors())
            colorsEnabled = paletteSize >= 8
            maxPairs = min(shim_color_pairs(), Int32(Int16.max))
        }
        setCursor(visible: false)
        writeOut(Self.bracketedPasteOn)
        Self.chainWindowChangeHandler()
    }

    deinit {
        shutdown()
    }

    /// Gives the terminal back as it was: bracketed paste off, cursor shown, `endwin`.
    /// Safe to call more than once.
    public func shutdown() {
        guard !isShutDown else { return }
        isShutDown = true
        // The wake pipe may be closed after this: a late signal must not write to whatever reuses it.
        Self.signalWake.store(-1, ordering: .relaxed)
        _ = curs_set(1)
        writeOut(Self.bracketedPasteOff)
        _ = endwin()
        // Mouse reports (and keys) that came during the shut-down must not reach the shell.
        _ = tcflush(STDIN_FILENO, TCIFLUSH)
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
    ///
    /// Ctrl-C and Ctrl-\ are ignored meanwhile: the terminal is in the shell's modes, so they are
    /// signals again, not keys. Where the stop is discarded, one pressed in that second quit the
    /// app (Ctrl-\ with a core dump) instead of reaching it as a key.
    @discardableResult
    public func suspend() -> Bool {
        guard !isShutDown else { return false }
        writeOut(Self.bracketedPasteOff)
        _ = endwin()
        Self.continued.store(false, ordering: .relaxed)
        let previousContinue = signal(SIGCONT) { _ in CursesTerminal.continued.store(true, ordering: .relaxed) }
        let previousStop = signal(SIGTSTP, SIG_DFL)
        let previousInterrupt = signal(SIGINT, SIG_IGN)
        let previousQuit = signal(SIGQUIT, SIG_IGN)
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
        resumeProgramMode()
        // Back in raw mode before the handlers are: a Ctrl-C typed in between is a key now.
        _ = signal(SIGINT, previousInterrupt)
        _ = signal(SIGQUIT, previousQuit)
        return Self.continued.load(ordering: .relaxed)
    }

    /// Back in the program's terminal modes (raw, no echo), which the shell or the editor reset,
    /// with the whole screen drawn again.
    private func resumeProgramMode() {
        _ = reset_prog_mode()
        writeOut(Self.bracketedPasteOn)
        cursorVisible = nil
        _ = clearok(shim_curscr(), true)
        _ = refresh()
        needsFullRedraw = true
    }

    /// Ctrl-X Ctrl-E: the terminal goes to the user's editor while `body` runs, in the modes the
    /// shell had (cooked, echo, the cursor shown, bracketed paste off, which an editor would
    /// otherwise get pastes wrapped in), and comes back as `suspend()` brings it back.
    public func runWithTerminalReleased<T>(_ body: () -> T) -> T {
        guard !isShutDown else { return body() }
        writeOut(Self.bracketedPasteOff)
        _ = curs_set(1)
        _ = endwin()
        // Ctrl-Z in the editor stops the whole job, this process with it, as a shell would, and
        // `fg` resumes both: not ncurses' handler, which would repaint the chat over the editor
        // and keep the editor's raw modes as the shell's.
        let previousStop = signal(SIGTSTP, SIG_DFL)
        var stopSignals = sigset_t()
        var savedMask = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTSTP)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, &savedMask)
        let result = body()
        pthread_sigmask(SIG_SETMASK, &savedMask, nil)
        _ = signal(SIGTSTP, previousStop)
        resumeProgramMode()
        return result
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
    /// from `kill`, a closed terminal window, or a dropped SSH connection.) SIGWINCH stays
    /// ncurses', which reports it as `.resize` (`init` only puts a handler in front that wakes the
    /// loop). Call once, before or after creating the terminal.
    public static func installSignalHandlers() {
        // Initialise the globals here, so the handler never runs their lazy initialisers.
        _ = terminationSignal.load(ordering: .relaxed)
        _ = signalWake.load(ordering: .relaxed)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            _ = signal(signalNumber) { received in
                CursesTerminal.terminationSignal.store(received, ordering: .relaxed)
                CursesTerminal.wakeFromSignal()
            }
        }
    }

    /// The write end of the wake pipe `readKey` last waited on, -1 before: a signal can go to
    /// any thread, and the UI thread sleeps in `poll` until something wakes it.
    private static let signalWake = Atomic<Int32>(-1)

    /// ncurses' SIGWINCH handler, as a bit pattern (0: none). Ours calls it, then wakes the
    /// loop, whose next read gets ncurses' KEY_RESIZE.
    private static let cursesWindowChange = Atomic<Int>(0)
    private static let windowChangeChained = Atomic<Bool>(false)

    /// Called from signal handlers: only `write`, and errno left as it was.
    private static func wakeFromSignal() {
        let descriptor = signalWake.load(ordering: .relaxed)
        guard descriptor >= 0 else { return }
        let savedErrno = errno
        var byte: UInt8 = 1
        _ = write(descriptor, &byte, 1)
        errno = savedErrno
    }

    /// Puts a SIGWINCH handler in front of the one `initscr` installed: ncurses notices a resize
    /// only when it reads, and a signal sent to another thread does not end the UI thread's
    /// `poll`, so without this a resize showed only at the next key.
    private static func chainWindowChangeHandler() {
        _ = signalWake.load(ordering: .relaxed)
        _ = cursesWindowChange.load(ordering: .relaxed)
        // Once per process: a second terminal would take our own handler for ncurses' and the
        // handler would call itself forever.
        guard !windowChangeChained.exchange(true, ordering: .relaxed) else { return }
        let previous = signal(SIGWINCH) { received in
            let raw = CursesTerminal.cursesWindowChange.load(ordering: .relaxed)
            if raw > 1 {
                let handler = unsafeBitCast(raw, to: (@convention(c) (Int32) -> Void).self)
                handler(received)
            }
            CursesTerminal.wakeFromSignal()
        }
        // SIG_DFL is 0 and SIG_IGN 1 (SIG_ERR -1): only a real handler is called.
        cursesWindowChange.store(unsafeBitCast(previous, to: Int.self), ordering: .relaxed)
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
        // Rows curses writes to this time: it may rewrite unchanged cells of such a row, so what
        // was written past it there (`DirectRun`) is written again after the refresh.
        let linksChanged = previous?.links != canvas.links
        var writtenRows: [Int] = []
        for y in 0..<height {
            let row = y * canvas.width
            var written = full || linksChanged
            for x in 0..<width {
                let cell = cells[row + x]
                if cell.isContinuation { continue }
                if let old, old[row + x] == cell { continue }
                drawCell(cell, x: x, y: y, columns: columns)
                written = true
            }
            if written { writtenRows.append(y) }
        }
        if let cursor = canvas.cursor, cursor.x >= 0, cursor.y >= 0, cursor.x < columns, cursor.y < rows {
            _ = move(Int32(cursor.y), Int32(cursor.x))
            setCursor(visible: true)
        } else {
            setCursor(visible: false)
        }
        _ = refresh()
        let wholeClusters = options.emoji == .full
        writeDirectRuns(DirectRun.runs(in: canvas, rows: writtenRows, columns: columns, wholeClusters: wholeClusters))
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
        guard let first = scalars.first, !ControlCharacter.contains(first.value) else {
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
                put(
                    [letters.count > 1 && Self.isRegionalIndicator(scalars[1].value) ? letters[1] : 0x20],
                    x: x + 1,
                    y: y,
                    style: style
                )
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

    /// Writes what curses cells cannot carry (hyperlinks, whole emoji clusters) over what curses
    /// just drew, each run at its cells in its cells' style. Then the attributes go back to
    /// normal through curses (so it knows) and the cursor to where curses left it, so curses'
    /// next update starts from a terminal in the state it believes. Everything goes through
    /// stdout's buffer, after curses flushed its own, in one flush.
    private func writeDirectRuns(_ runs: [DirectRun]) {
        guard !runs.isEmpty else { return }
        let output = shim_stdout()
        _ = fputs(DirectRun.prologue, output)
        for run in runs {
            let style = attributes(for: run.style)
            _ = fputs(run.cursorMove, output)
            _ = shim_set_attributes_on_stdout(style.attrs, style.pair)
            _ = fputs(run.body, output)
        }
        _ = shim_set_attributes_on_stdout(shim_a_normal(), 0)
        _ = fputs(DirectRun.epilogue, output)
        _ = fputs("\u{1b}[\(shim_physical_cury() + 1);\(shim_physical_curx() + 1)H", output)
        _ = fflush(output)
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
            pair = colorPair(
                foreground: colorNumber(style.foreground, isForeground: true),
                background: colorNumber(style.background, isForeground: false)
            )
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
            guard case .indexed(let basic) = color.nearestBasic(count: paletteSize >= 16 ? 16 : 8) else { return -1 }
            return Int16(basic)
        }
    }

    /// The pair for (foreground, background), made with `init_pair` the first time it is
    /// needed. Pair 0 (the terminal's default colours) when the pairs run out.
    private func colorPair(foreground: Int16, background: Int16) -> Int16 {
        let defaultPair =
            hasDefaultColors ? PairKey(foreground: -1, background: -1) : PairKey(foreground: 7, background: 0)
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

    // MARK: - Reading keys

    /// Waits in `poll` on the terminal and `wake` together, so an idle app sleeps until a key
    /// or a wake; curses' own wait sees only the terminal. Keys are decoded without that wait
    /// (the decoder's short waits inside a sequence are curses', which a wake must not cut
    /// short: Esc then "[A" would be typed as text).
    public func readKey(timeoutMilliseconds: Int, wake: WakeSignal) -> Key? {
        guard !isShutDown else { return nil }
        Self.signalWake.store(wake.writeDescriptor, ordering: .relaxed)
        let deadline = timeoutMilliseconds < 0 ? nil : Self.monotonicMilliseconds() + timeoutMilliseconds
        while true {
            // What is there already first: curses may hold bytes it read ahead, which poll cannot see.
            let key = decoder.nextKey(timeoutMilliseconds: 0, clock: Self.monotonicMilliseconds) { timeout in
                self.nextInput(timeout: timeout)
            }
            if let key { return key }
            if Self.terminationRequested { return nil }
            let remaining = deadline.map { max(0, $0 - Self.monotonicMilliseconds()) } ?? -1
            guard remaining != 0, Self.waitForInput(remaining, wake: wake) else { return nil }
        }
    }

    /// Waits until the terminal has input (or hung up: the next read finds out), `wake` is
    /// raised, a signal arrives, or `milliseconds` pass (-1: no limit). True only for the terminal.
    private static func waitForInput(_ milliseconds: Int, wake: WakeSignal) -> Bool {
        var descriptors = [
            pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        guard poll(&descriptors, 2, Int32(clamping: milliseconds)) > 0 else { return false }
        return descriptors[1].revents == 0 && descriptors[0].revents != 0
    }

    /// What `get_wch` gives within `milliseconds` (-1: forever): a code point, or a key curses
    /// decoded itself. Key codes we have no use for are skipped.
    private func nextInput(timeout milliseconds: Int) -> TerminalInput? {
        timeout(Int32(clamping: milliseconds < 0 ? -1 : milliseconds))
        while true {
            var value: wint_t = 0
            let result = shim_get_wch(&value)
            if result == shim_ok() { return .scalar(UInt32(value)) }
            guard result == shim_key_code_yes() else {
                if Self.terminalHungUp() { Self.terminationSignal.store(SIGHUP, ordering: .relaxed) }
                return nil
            }
            if let key = key(forCode: Int32(bitPattern: UInt32(value))) { return .key(key) }
        }
    }

    /// Whether the terminal is gone (its window closed, tmux killed, SSH dropped). Then every
    /// read fails at once, and a SIGHUP need not have reached us (it goes to the shell, which
    /// may be gone too): without this check the app spun on failing reads forever, a core each.
    private static func terminalHungUp() -> Bool {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, 0) >= 0 else { return true }
        return Int32(descriptor.revents) & (POLLHUP | POLLERR | POLLNVAL) != 0
    }

    private func key(forCode code: Int32) -> Key? {
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
        case shim_key_mouse(): return mouseKey()
        default:
            let f0 = shim_key_f0()
            if code > f0, code <= f0 + 63 { return .function(Int(code - f0)) }
            // Shifted keys and keys with modifiers curses knows only by terminfo name.
            guard let name = keyname(code) else { return nil }
            return KeyDecoder.key(forTerminfoName: String(cString: name))
        }
    }

    /// The mouse event curses read, as a key; nil for events the app does not use.
    private func mouseKey() -> Key? {
        var x: Int32 = 0
        var y: Int32 = 0
        let kind: MouseEvent.Kind
        switch shim_mouse_event(&x, &y) {
        case 1: kind = .press
        case 4: kind = .wheelUp
        case 5: kind = .wheelDown
        default: return nil
        }
        return .mouse(MouseEvent(kind: kind, x: Int(x), y: Int(y)))
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
        writeOut(
            tmuxWrapped("\u{1b}]777;notify;\(cleanTitle);\(cleanBody)\u{1b}\\")
                + tmuxWrapped("\u{1b}]9;\(cleanTitle): \(cleanBody)\u{1b}\\")
        )
    }

    /// OSC 52, unwrapped even inside tmux: tmux handles it itself (with `set-clipboard on`, its
    /// default `external` included) and passes it on to the outer terminal.
    public func copyToClipboard(_ text: String) {
        guard !isShutDown else { return }
        writeOut(Clipboard.osc52(text))
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
        for scalar in text.unicodeScalars where !ControlCharacter.contains(scalar.value) && scalar != extra {
            result.append(scalar)
        }
        return String(result)
    }

    /// Writes straight to the terminal, past curses (which has no call for OSC sequences or
    /// private modes), flushed at once so it never lands in the middle of a curses update.
    private func writeOut(_ text: String) {
        _ = fputs(text, shim_stdout())
        _ = fflush(shim_stdout())
    }
}
