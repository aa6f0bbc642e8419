import ChatClient
import Foundation
import StoreTestSupport
import Testing

/// Keys people press by habit, in a real terminal against `wechat --serve --demo`: none of them
/// may act on a friend, Ctrl-Z must really hand the terminal back to the shell, and a server that
/// cannot start must say why where the user is looking.
@Suite(.serialized) struct TerminalKeySafetyTests {
    /// Starts the demo (alice signed in, friends with bob, carol and dave) on free ports.
    static func startDemo(in terminal: TmuxSession) async throws {
        try await terminal.run(
            "\(TerminalClientTests.wechatPath) --serve --demo --gate-port 0 --chat-port 0 --data-dir \(terminal.home)/server"
        )
        try await terminal.waitFor("Chats (4)", timeout: 60)
        try await terminal.waitFor("● connected", timeout: 30)
    }

    @Test func tabEscAndCtrlZWhileTypingAreHarmless() async throws {
        let terminal = try TmuxSession(width: 100, height: 30)
        defer { terminal.close() }
        try await Self.startDemo(in: terminal)

        // `ok`, Tab, `bye`, Esc, `xy`, Esc, `by`: once this blocked or removed a friend. Each Esc
        // is followed by a pause, as a person's is: Esc and a letter in the same instant is Alt.
        try terminal.type("ok")
        try await terminal.press("Tab")
        try terminal.type("bye")
        try await terminal.press("Escape")
        try await Task.sleep(for: .milliseconds(300))
        try terminal.type("xy")
        try await terminal.press("Escape")
        try await Task.sleep(for: .milliseconds(300))
        try terminal.type("by")
        let typed = try await terminal.waitFor("okbyexyby")
        #expect(!typed.contains("Please confirm"))
        #expect(typed.contains("Chats (4)"))
        #expect(!typed.contains("blocked"))

        // Readline keys edit the text (Ctrl-F once opened "Find people", Ctrl-T the themes).
        try await terminal.press("C-a")
        try terminal.type("<")
        try await terminal.press("C-e", "C-f", "C-t", "C-b", "C-b", "C-f")
        try terminal.type("|")
        let edited = try await terminal.waitFor("<okbyexyy|b")
        #expect(!edited.contains("Find people"))
        #expect(!edited.contains("Theme"))

        // Ctrl-Z: the shell is back and takes commands; what is typed there is not a message.
        try await terminal.press("C-z")
        try await terminal.waitFor("Stopped")
        try await terminal.run("echo shell-has-the-terminal-$((6*7))")
        try await terminal.waitFor("shell-has-the-terminal-42")
        try await terminal.run("fg")
        try await terminal.waitFor("Chats (4)")
        // Back in raw mode: a key goes to the input at once, and the draft survived.
        try terminal.type("!")
        let back = try await terminal.waitFor("<okbyexyy|!b")
        #expect(!back.contains("echo shell-has"))

        // The text belongs to this conversation: the next one opens empty, with a draft marked.
        // (The demo's list is in order of last activity, so bob may be last: then go up.)
        try await terminal.press("C-n")
        try await Task.sleep(for: .milliseconds(300))
        let goBack = try terminal.screen().contains("Message bob") ? "C-n" : "C-p"
        if goBack == "C-n" { try await terminal.press("C-p") }
        let other = try await terminal.waitUntil("another conversation, empty") { !$0.contains("<okbyexyy|!b") }
        #expect(other.contains("[Draft]"))
        #expect(!other.contains("Message bob"))
        try await terminal.press(goBack)
        try await terminal.waitFor("<okbyexyy|!b")

        // Quit leaves a shell whose last job ended cleanly.
        try await terminal.press("C-q")
        try await terminal.waitUntil("the shell prompt") { !$0.contains("Chats (4)") }
        try await terminal.run("echo exit=$?")
        try await terminal.waitFor("exit=0")
    }

    /// The terminal goes away (the window closed, tmux killed) and no SIGHUP arrives (this test
    /// runner's threads block it, and children inherit that): the app must notice and exit,
    /// not spin on failing reads forever. Once it did, at a quarter of a core each.
    @Test func theServeScreenShowsOnlyTheCodesItAskedFor() async throws {
        let terminal = try TmuxSession(width: 100, height: 30)
        defer { terminal.close() }
        let port = try PortFinder.freePort()
        try await terminal.run(
            "\(TerminalClientTests.wechatPath) --serve --gate-port \(port) --chat-port 0 --data-dir \(terminal.home)/server"
        )
        try await terminal.waitFor("WeChat — sign in", timeout: 60)
        // Someone else, through the same server, asks for a code: it must not appear here.
        try await GateClient(baseURL: "http://127.0.0.1:\(port)").requestCode(
            email: "victim@example.com",
            purpose: .register
        )
        try await terminal.press("F2")
        try terminal.type("newbie")
        try await terminal.press("Tab")
        try terminal.type("newbie@example.com")
        try await terminal.press("F5")
        let screen = try await terminal.waitFor("for newbie@example.com")
        #expect(screen.contains("dev mailbox: code"))
        #expect(!screen.contains("victim"))
        try await terminal.press("C-q")
    }

    /// With no shell to go back to (the app replaced it: an orphaned process group, whose stop
    /// the kernel discards), Ctrl-Z says so and the app carries on. For that second the terminal
    /// is in the shell's modes, where Ctrl-C and Ctrl-\ are signals: they once quit the app.
    @Test func ctrlZWithNoShellToGoBackToKeepsTheApp() async throws {
        let terminal = try TmuxSession(width: 100, height: 30)
        defer { terminal.close() }
        try await terminal.run(
            "exec \(TerminalClientTests.wechatPath) --serve --demo --gate-port 0 --chat-port 0 --data-dir \(terminal.home)/server"
        )
        try await terminal.waitFor("● connected", timeout: 60)
        try await terminal.press("C-z")
        try await terminal.waitUntil("the shell's screen, for a moment") { !$0.contains("Chats (4)") }
        try await terminal.press("C-c", "C-\\")
        try await terminal.waitFor("nothing to suspend to here")
        try terminal.type("still here")
        let screen = try await terminal.waitFor("still here")
        #expect(screen.contains("Chats (4)"))
        try await terminal.press("C-q")
    }

    @Test func aClientWhoseTerminalIsGoneExits() async throws {
        let terminal = try TmuxSession(width: 100, height: 30)
        defer { terminal.close() }
        try await Self.startDemo(in: terminal)
        let wechat = try #require(
            TmuxSession.sessionMembers(terminal.shellPID).first { $0.value.contains("wechat --serve") }?.key
        )
        kill(terminal.serverPID, SIGKILL)
        let deadline = Date().addingTimeInterval(15)
        while kill(wechat, 0) == 0, Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(kill(wechat, 0) != 0, "wechat (pid \(wechat)) still runs after its terminal went away")
    }

    @Test func aServeWhosePortIsTakenSaysSoOnTheTerminal() async throws {
        let holder = try ServerProcess(arguments: ["--gate-port", "0", "--chat-port", "0"])
        defer { try? FileManager.default.removeItem(atPath: holder.dataDirectory) }
        let (gateURL, _) = try await holder.ready()
        let port = try #require(URL(string: gateURL)?.port)
        let terminal = try TmuxSession(width: 100, height: 30)
        defer { terminal.close() }
        try await terminal.run(
            "\(TerminalClientTests.wechatPath) --serve --gate-port \(port) --chat-port 0 --data-dir \(terminal.home)/server; echo exit=$?"
        )
        let screen = try await terminal.waitUntil("wechat to exit", timeout: 30) { screen in
            screen.split(separator: "\n").contains { $0.hasPrefix("exit=") }
        }
        #expect(screen.contains("already in use"), "screen:\n\(screen)")
        #expect(screen.contains("exit=2"))
        #expect(try await holder.stop() == 0)
    }

    /// A mistake in `[keys]` is said on the terminal, with its line, before the screen starts.
    @Test func aMistakeInTheKeyTableStopsTheStartWithItsLine() async throws {
        // Wide, so the message (the config's path leads it) stays on one row.
        let terminal = try TmuxSession(width: 250, height: 30)
        defer { terminal.close() }
        let config = terminal.home + "/keys.toml"
        try "[keys]\nnext-unread = \"Ctrl-N\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        try await terminal.run(
            "\(TerminalClientTests.wechatPath) --config \(config) --server http://127.0.0.1:1; echo exit=$?"
        )
        let screen = try await terminal.waitUntil("wechat to exit", timeout: 30) { screen in
            screen.split(separator: "\n").contains { $0.hasPrefix("exit=") }
        }
        #expect(
            screen.contains("wechat: \(config) line 2: 'Ctrl-N' is bound to both next-conversation"),
            "screen:\n\(screen)"
        )
        #expect(screen.contains("exit=2"))
        #expect(!screen.contains("WeChat — sign in"))
    }

    /// Alt-digits and Alt-A as a real terminal sends them (Esc, then the key at once).
    @Test func altDigitsOpenConversationsByTheirPlaceInTheList() async throws {
        let terminal = try TmuxSession(width: 100, height: 30)
        defer { terminal.close() }
        try await Self.startDemo(in: terminal)
        // The open conversation's name, from the title of the box that writes to it.
        func openName(_ screen: String) -> String? {
            guard let range = screen.range(of: "Message ") else { return nil }
            let name = screen[range.upperBound...].prefix { $0 != " " && $0 != "─" && $0 != "\n" }
            return name.isEmpty ? nil : String(name)
        }
        try await terminal.press("M-9")
        try await terminal.waitFor("The list has only 4 conversations.")
        try await terminal.press("M-1")
        try await Task.sleep(for: .milliseconds(300))
        let first = try #require(openName(try terminal.screen()))
        try await terminal.press("M-2")
        let afterTwo = try await terminal.waitUntil("the second conversation") {
            openName($0).map { $0 != first } ?? false
        }
        let second = try #require(openName(afterTwo))
        try await terminal.press("M-3")
        let afterThree = try await terminal.waitUntil("the third conversation") {
            openName($0).map { $0 != first && $0 != second } ?? false
        }
        let third = try #require(openName(afterThree))
        #expect(Set([first, second, third]).count == 3)
        try await terminal.press("M-1")
        try await terminal.waitUntil("back to the first") { openName($0) == first }
        // Alt-A either opens an unread conversation or says there is none; it types nothing.
        try await terminal.press("M-a")
        try await Task.sleep(for: .milliseconds(300))
        let screen = try terminal.screen()
        #expect(screen.contains("Type a message"), "the input took a key:\n\(screen)")
        try await terminal.press("C-q")
    }
}
