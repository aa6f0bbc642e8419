import ChatClient
import Foundation
import Logging
import Synchronization

/// The running app: one thread owns the terminal and loops — wait for a key, a posted action or
/// the next timed change (`WakeSchedule`), apply it, draw if anything changed. Network work
/// runs in the `EffectRunner`, so typing and drawing never wait for it.
public final class ChatApp {
    public struct Options: Sendable {
        public var serverURL: String
        /// Every gate of the server, `serverURL` first: when one does not answer the next is
        /// asked (a cluster's gates are interchangeable).
        public var serverURLs: [String]
        /// Extra CA to trust for an `https://` server (`--ca`).
        public var tls = ClientTLS()
        public var config: AppConfig
        public var themeSearchPaths: [String]
        /// Shown on the sign-in screen (`wechat --serve --demo`).
        public var demoLogins: [String] = []
        /// Signs in with these at start when there is no saved session (the demo).
        public var autoSignIn: (account: String, password: String)?
        /// Where the picker's choice of theme is kept for the next start; nil keeps none.
        public var savedTheme: SavedTheme?
        /// `NO_COLOR` is set (`NoColor.isRequested`): the terminal draws no colour, and the app
        /// draws with `Theme.monochrome` whatever theme is chosen.
        public var noColor = false

        public init(serverURL: String, config: AppConfig, themeSearchPaths: [String]) {
            self.serverURL = serverURL
            self.serverURLs = [serverURL]
            self.config = config
            self.themeSearchPaths = themeSearchPaths
        }
    }

    /// Where the network and the host post actions for the UI thread.
    public let queue: ActionQueue
    private let terminal: TerminalBackend
    private let options: Options
    private let runner: EffectRunner
    private var state: AppState
    private var lastTitle = ""
    /// Polled by the loop: set from a signal handler to shut down cleanly.
    private let shouldStop: () -> Bool
    /// Ctrl-Z: stops the process until `fg`; false if nothing stopped it.
    private let suspend: () -> Bool

    public init(
        terminal: TerminalBackend,
        options: Options,
        queue: ActionQueue = ActionQueue(),
        logger: Logger,
        shouldStop: @escaping () -> Bool = { false },
        suspend: @escaping () -> Bool = { false }
    ) {
        self.terminal = terminal
        self.options = options
        self.queue = queue
        self.shouldStop = shouldStop
        self.suspend = suspend
        runner = EffectRunner(serverURLs: options.serverURLs, tls: options.tls, queue: queue, logger: logger)
        state = AppState(serverURL: options.serverURL)
        state.otherGates = options.serverURLs.count - 1
        state.keyBindings = options.config.keyBindings
        state.demoLogins = options.demoLogins
        state.emojiMode = options.config.emoji
        state.themeNames = ThemeLoader.available(in: options.themeSearchPaths)
        let (theme, warning) = ThemeLoader.load(named: options.config.theme, searchPaths: options.themeSearchPaths)
        state.theme = NoColor.theme(theme, noColor: options.noColor)
        if let warning { state.showNotice(warning, .error, seconds: 10) }
    }

    /// Runs until the user quits. Blocks the calling thread, which must be the one that owns the terminal.
    public func run() {
        let runner = runner
        let loop = Task.detached { await runner.run() }
        let resumed = blockingAwait { await runner.resumeSavedSession() }
        if resumed {
            state.screen = .main
        } else if let auto = options.autoSignIn {
            state.signIn.account.setText(auto.account)
            state.signIn.busy = true
            runner.submit(.signIn(account: auto.account, password: auto.password))
        }
        let size = terminal.size
        state.width = size.width
        state.height = size.height
        var dirty = true
        // Due at once: the first pass sets the state's clock.
        var nextWake = Date()
        while !state.quitRequested && !shouldStop() {
            // Sleeps until a key, a posted action (the queue's wake) or the next change on screen
            // that time alone makes: an idle client wakes about once a minute.
            let key = terminal.readKey(
                timeoutMilliseconds: dirty ? 0 : WakeSchedule.milliseconds(from: Date(), to: nextWake),
                wake: queue.wake
            )
            let actions = queue.drain()
            let now = Date()
            if key != nil || !actions.isEmpty || now >= nextWake {
                // The clock first: a notice shown by what follows expires counting from now.
                apply(.tick(now))
                dirty = true
            }
            if let key {
                // Redraw and suspend act on the terminal, which only this loop has.
                let command = state.keyBindings.command(for: key, in: .app)
                if key == .resize {
                    let size = terminal.size
                    apply(.resized(width: size.width, height: size.height))
                } else if command == .redraw {
                    terminal.draw(Canvas(width: 0, height: 0))
                } else if command == .suspend {
                    let stopped = suspend()
                    let size = terminal.size
                    apply(.resized(width: size.width, height: size.height))
                    if !stopped {
                        state.showNotice(
                            "Suspend: nothing to suspend to here (no shell job control). Ctrl-Q quits.",
                            .error
                        )
                    }
                } else {
                    apply(.key(key))
                }
            }
            for action in actions { apply(action) }
            if dirty {
                dirty = false
                let canvas = AppView.render(state)
                state.hitMap = canvas.hitMap
                terminal.draw(canvas)
                let title = AppView.title(state)
                if title != lastTitle {
                    lastTitle = title
                    terminal.setTitle(title)
                }
            }
            nextWake = WakeSchedule.next(for: state, now: Date())
        }
        // What is typed and not sent is there again at the next start.
        for effect in state.saveDraftsEffect { runner.submit(effect) }
        runner.finish()
        blockingAwait {
            await loop.value
            await runner.stopSession()
        }
    }

    private func apply(_ action: Action) {
        for effect in state.apply(action) {
            switch effect {
            case .bell:
                if options.config.bell { terminal.bell() }
            case .notify(let title, let body):
                if options.config.desktopNotifications { terminal.notify(title: title, body: body) }
            case .copyToClipboard(let text):
                terminal.copyToClipboard(text)
            case .saveTheme(let name):
                guard let saved = options.savedTheme else { break }
                let (message, failed) = saved.keep(name)
                state.showNotice(message, failed ? .error : .success, seconds: failed ? 8 : 4)
            case .loadTheme(let name):
                let (theme, warning) = ThemeLoader.load(named: name, searchPaths: options.themeSearchPaths)
                _ = state.apply(.themeLoaded(NoColor.theme(theme, noColor: options.noColor), warning: warning))
                if options.noColor { state.showNotice("NO_COLOR is set: the theme stays monochrome.", .info) }
            case .composeInEditor(let draft, let conversation):
                // The editor needs the terminal, which is this thread's: the loop waits for it.
                let result = terminal.runWithTerminalReleased { ExternalEditor.edit(draft) }
                let size = terminal.size
                // The clock stood still while the editor ran: notices from now must count from now.
                apply(.tick(Date()))
                // The editor may have set the window title: ours is sent again.
                lastTitle = ""
                apply(.resized(width: size.width, height: size.height))
                apply(.composed(conversation: conversation, result))
            default:
                runner.submit(effect)
            }
        }
    }

    /// Waits on the UI thread for a short async call (start-up and shut-down only).
    private func blockingAwait<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task.detached {
            let value = await body()
            box.value.withLock { $0 = value }
            semaphore.signal()
        }
        semaphore.wait()
        return box.value.withLock { $0! }
    }
}

/// Carries a result out of the task `blockingAwait` waits for.
private final class ResultBox<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
}
