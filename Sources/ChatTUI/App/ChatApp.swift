import ChatClient
import Foundation
import Logging
import Synchronization

/// The running app: one thread owns the terminal and loops — read a key (briefly), apply it and
/// whatever the network posted, draw if anything changed. Network work runs in the
/// `EffectRunner`, so typing and drawing never wait for it.
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
        state.demoLogins = options.demoLogins
        state.themeNames = ThemeLoader.available(in: options.themeSearchPaths)
        let (theme, warning) = ThemeLoader.load(named: options.config.theme, searchPaths: options.themeSearchPaths)
        state.theme = theme
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
        var lastTick = Date()
        while !state.quitRequested && !shouldStop() {
            if let key = terminal.readKey(timeoutMilliseconds: dirty ? 0 : 40) {
                dirty = true
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
            for action in queue.drain() {
                apply(action)
                dirty = true
            }
            let now = Date()
            if now.timeIntervalSince(lastTick) >= 1 {
                lastTick = now
                apply(.tick(now))
                dirty = true
            }
            if dirty {
                dirty = false
                terminal.draw(AppView.render(state))
                let title = AppView.title(state)
                if title != lastTitle {
                    lastTitle = title
                    terminal.setTitle(title)
                }
            }
        }
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
            case .loadTheme(let name):
                let (theme, warning) = ThemeLoader.load(named: name, searchPaths: options.themeSearchPaths)
                _ = state.apply(.themeLoaded(theme, warning: warning))
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
