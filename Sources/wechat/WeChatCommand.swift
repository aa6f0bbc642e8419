import ArgumentParser
import ChatClient
import ChatProtocol
import ChatServices
import ChatTUI
import CursesBackend
import Foundation
import Logging
import ServerStack
import ServiceLifecycle
import Synchronization

/// `wechat`: the terminal client; with `--serve`, the whole server stack runs in the same process.
@main
struct WeChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wechat",
        abstract: "A WeChat-style chat client for the terminal.",
        discussion: """
            Keys: F1 in the app lists them all. Config: $XDG_CONFIG_HOME/wechat/config.toml \
            (server, theme, notifications, [keys]). Cache and saved session: $XDG_DATA_HOME/wechat/.
            """,
        version: "wechat 0.1.0"
    )

    @Option(
        help:
            "The server's gate URL (default: from the config file, else http://127.0.0.1:8888). Repeat it for a cluster's gates: when one does not answer, the next is asked."
    )
    var server: [String] = []

    @Option(
        help:
            "A PEM file with the CA (or self-signed certificate) to trust for an https:// server, besides the system's."
    )
    var ca: String?

    @Option(help: "Theme name from Themes/ (default, light, wechat, high-contrast, monochrome, …).")
    var theme: String?

    @Option(help: "Config file (default: $XDG_CONFIG_HOME/wechat/config.toml).")
    var config: String?

    @Flag(help: "Run the whole server stack in this process too, and connect to it.")
    var serve = false

    @Flag(help: "With --serve: create demo accounts that are friends with some history, and sign in as one.")
    var demo = false

    @Option(name: .customLong("gate-port"), help: "With --serve: the gate's port.")
    var gatePort = 8888

    @Option(name: .customLong("chat-port"), help: "With --serve: the first chat server's port.")
    var chatPort = 8090

    @Option(name: .customLong("chat-servers"), help: "With --serve: how many chat servers.")
    var chatServers = 1

    @Option(
        name: .customLong("data-dir"),
        help: "With --serve: the server's data directory (default: $XDG_DATA_HOME/wechat/server)."
    )
    var dataDir: String?

    @Option(name: .customLong("log-file"), help: "Where log lines go (default: $XDG_STATE_HOME/wechat/wechat.log).")
    var logFile: String?

    func validate() throws {
        if demo && !serve { throw ValidationError("--demo goes with --serve.") }
        guard (1...16).contains(chatServers) else { throw ValidationError("--chat-servers takes 1 to 16.") }
    }

    func run() async throws {
        do {
            try await runClient()
        } catch {
            // ArgumentParser prints the error to stderr, which is the log file by now.
            Self.restoreConsole()
            throw error
        }
    }

    func runClient() async throws {
        let environment = ProcessInfo.processInfo.environment
        let configPath = config ?? AppConfig.defaultPath(environment: environment)
        var (appConfig, configWarning) = AppConfig.load(path: configPath)
        // Keys half rebound would do what nobody chose: say what to fix, before the screen starts.
        if !appConfig.keyProblems.isEmpty {
            FileHandle.standardError.write(Data(appConfig.keyProblems.map { "wechat: \($0)\n" }.joined().utf8))
            throw ExitCode(2)
        }
        // The picker's last choice, unless a theme is named on purpose (`SavedTheme`).
        let configuredTheme = SavedTheme.configuredTheme(configPath: configPath)
        var savedTheme = SavedTheme(path: SavedTheme.defaultPath(environment: environment))
        savedTheme.overriddenBy = configuredTheme.map { "theme = \"\($0)\" in config.toml" }
        appConfig.theme = SavedTheme.startingTheme(flag: theme, configured: configuredTheme, saved: savedTheme.load())
        let logger = try Self.startLogging(path: logFile ?? AppPaths(environment: environment).state + "/wechat.log")

        var serverURLs = server.isEmpty ? appConfig.servers : server
        var stackTask: Task<Void, Error>?
        var stack: ServerStack?
        var options: ChatApp.Options
        if serve {
            var configuration = ServerStackConfiguration(
                dataDirectory: dataDir ?? AppPaths(environment: environment).serverData
            )
            configuration.gatePort = gatePort
            configuration.chatPort = chatPort
            configuration.chatServers = chatServers
            let started: ServerStack
            do {
                started = try ServerStack(configuration: configuration, logger: logger)
            } catch {
                Self.restoreConsole()
                FileHandle.standardError.write(Data("wechat: \(error)\n".utf8))
                throw ExitCode(2)
            }
            stack = started
            stackTask = Task {
                do {
                    try await started.run()
                } catch {
                    // Before the app is up (a port in use, say), this is the only way to say why.
                    guard !Task.isCancelled, !Self.terminalTaken.withLock({ $0 }) else { throw error }
                    let message = ServerStack.describeStartupFailure(error, gatePort: gatePort, chatPort: chatPort)
                    Self.restoreConsole()
                    FileHandle.standardError.write(Data("wechat: the server could not start: \(message)\n".utf8))
                    Foundation.exit(2)
                }
            }
            let endpoints = await started.endpoints()
            serverURLs = [endpoints.gateURL]
            print(
                "wechat: serving at \(endpoints.gateURL) (chat \(endpoints.chatPorts.map(String.init).joined(separator: ","))), data in \(configuration.dataDirectory)"
            )
        }
        options = ChatApp.Options(
            serverURL: serverURLs[0],
            config: appConfig,
            themeSearchPaths: ThemeLoader.defaultSearchPaths(
                environment: environment,
                executablePath: Self.executablePath,
                currentDirectory: FileManager.default.currentDirectoryPath
            )
        )
        options.serverURLs = serverURLs
        options.tls = ClientTLS(caFile: ca)
        options.savedTheme = savedTheme
        if demo {
            let logins = try await DemoSeeder(
                gateURL: serverURLs[0],
                mailboxPath: stack!.configuration.mailboxPath,
                logger: logger
            ).seed()
            options.demoLogins = logins.map { "\($0.username) / \($0.password)" }
            options.autoSignIn = (logins[0].username, logins[0].password)
            print("wechat: demo accounts (username / password): " + options.demoLogins.joined(separator: ", "))
        }

        Self.terminalTaken.withLock { $0 = true }
        CursesTerminal.installSignalHandlers()
        let queue = ActionQueue()
        if let configWarning { queue.post(.finished(.failure(.init(.badRequest, configWarning)))) }
        stack?.mailbox.onMail { mail in
            // Only mails that carry a code: a notice ("you already have an account") has none.
            if let code = mail.subject.split(separator: " ").last, code.count == 6, code.allSatisfy(\.isNumber) {
                queue.post(.devMail(email: mail.to, code: String(code)))
            }
        }
        options.noColor = NoColor.isRequested(environment: environment)
        let colorMode: CursesTerminal.ColorMode = options.noColor ? .monochrome : .auto
        let appOptions = options
        let terminalOptions = TerminalOptions(config: options.config)
        // The terminal belongs to one thread, which is not one of the few the async runtime has.
        // The terminal and the app are made on that thread and never leave it.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                let terminal = CursesTerminal(colorMode: colorMode, options: terminalOptions)
                let app = ChatApp(
                    terminal: terminal,
                    options: appOptions,
                    queue: queue,
                    logger: logger,
                    shouldStop: { CursesTerminal.terminationRequested },
                    suspend: { terminal.suspend() }
                )
                app.run()
                terminal.shutdown()
                continuation.resume()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        stackTask?.cancel()
        _ = await stackTask?.result
    }

    /// Log lines go to a file: the terminal belongs to the app.
    static func startLogging(path: String) throws -> Logger {
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        consoleError.withLock { if $0 < 0 { $0 = dup(STDERR_FILENO) } }
        let log = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard log >= 0, dup2(log, STDERR_FILENO) >= 0 else {
            throw ValidationError("Cannot write the log file \(path).")
        }
        close(log)
        let level =
            ProcessInfo.processInfo.environment["WECHAT_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in EscapingLogHandler.standardError(label: label, level: level) }
        return Logger(label: "wechat")
    }

    /// Standard error as it was before `startLogging` pointed it at the log file, -1 before.
    static let consoleError = Mutex<Int32>(-1)

    /// Points standard error back at the terminal, so a failure that ends the program (a port
    /// in use, a bad option found late) is said where the user is looking, not only in the log.
    /// Only once the app no longer draws (or before it starts).
    static func restoreConsole() {
        consoleError.withLock { saved in
            if saved >= 0 { _ = dup2(saved, STDERR_FILENO) }
        }
    }

    /// Set once curses owns the terminal: from then on nothing may write to it directly.
    static let terminalTaken = Mutex(false)

    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
