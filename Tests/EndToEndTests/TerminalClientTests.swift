import ChatServices
import Foundation
import Testing

/// The terminal client in a real terminal: two people register, befriend and chat through
/// `wechat` in tmux against a real `wechat-server`.
@Suite(.serialized) struct TerminalClientTests {
    static var wechatPath: String {
        (ServerProcess.binaryPath as NSString).deletingLastPathComponent + "/wechat"
    }

    /// Signs up through the register screen, reading the code from the dev mailbox like a person.
    static func register(_ username: String, in terminal: TmuxSession, mailbox: String) async throws {
        try await terminal.waitFor("WeChat — sign in")
        try await terminal.press("F2")
        try await terminal.waitFor("create an account")
        try terminal.type(username)
        try await terminal.press("Tab")
        try terminal.type("\(username)@example.com")
        try await terminal.press("Enter")
        try await terminal.waitFor("code is on its way")
        let code = try #require(DevMailbox.latestCode(for: "\(username)@example.com", inMailboxAt: mailbox))
        try terminal.type(code)
        try await terminal.press("Tab")
        try terminal.type("correct horse")
        try await terminal.press("Tab")
        try terminal.type("correct horse")
        try await terminal.press("Enter")
        try await terminal.waitFor("Friends (0)")
    }

    @Test func anUnreachableServerIsSaidWithinSeconds() async throws {
        let terminal = try TmuxSession(width: 100, height: 30)
        defer { terminal.close() }
        // Port 1 on loopback: nothing listens, every connection is refused.
        try await terminal.run("\(Self.wechatPath) --server http://127.0.0.1:1")
        try await terminal.waitFor("WeChat — sign in")
        try terminal.type("alice")
        try await terminal.press("Tab")
        try terminal.type("some password")
        let started = ContinuousClock.now
        try await terminal.press("Enter")
        // It once showed "Working…" for the request's whole 15 s deadline.
        let screen = try await terminal.waitFor(
            "Cannot reach the server at 127.0.0.1:1 (connection refused).",
            timeout: 10
        )
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(!screen.contains("Working"))
        try await terminal.press("C-q")
    }

    @Test func twoPeopleRegisterBefriendAndChatInTheTerminal() async throws {
        let server = try ServerProcess(arguments: ["--gate-port", "0", "--chat-port", "0"])
        let (gateURL, _) = try await server.ready()
        let mailbox = server.dataDirectory + "/dev-mailbox.txt"
        let alice = try TmuxSession(width: 100, height: 30)
        let bob = try TmuxSession(width: 100, height: 30)
        defer {
            alice.close()
            bob.close()
            server.child.send(SIGKILL)
            try? FileManager.default.removeItem(atPath: server.dataDirectory)
        }
        try await alice.run("\(Self.wechatPath) --server \(gateURL)")
        try await bob.run("\(Self.wechatPath) --server \(gateURL) --theme wechat")
        try await Self.register("alice", in: alice, mailbox: mailbox)
        try await Self.register("bob", in: bob, mailbox: mailbox)

        // Alice finds Bob and sends a request with a greeting.
        try await alice.press("F3")
        try await alice.waitFor("Find people")
        try alice.type("bob")
        try await alice.press("Enter")
        try await alice.waitFor("add as friend")
        try await alice.press("Enter")
        try await alice.waitFor("Greeting")
        try await alice.press("Enter")
        try await alice.waitFor("Friend request sent")

        // Bob sees it and accepts.
        try await bob.waitFor("Requests (1)")
        try await bob.press("C-r")
        try await bob.waitFor("Hi, I'm alice!")
        try bob.type("a")
        try await bob.waitFor("Accepted")
        try await bob.press("Escape")
        try await bob.waitFor("● alice")
        try await alice.waitFor("● bob")

        // They chat in Chinese with emoji.
        try alice.type("你好，鲍勃！今天怎么样？🙂")
        try await alice.press("Enter")
        try await bob.waitFor("你好，鲍勃！今天怎么样？🙂")
        try bob.type("很好，谢谢 👍 终端里的中文显示得很好")
        try await bob.press("Enter")
        let aliceScreen = try await alice.waitFor("很好，谢谢 👍 终端里的中文显示得很好")
        #expect(aliceScreen.contains("me"))
        #expect(aliceScreen.contains("✓"))
        #expect(aliceScreen.contains("alice@127.0.0.1"))
        #expect(aliceScreen.contains("● connected"))
        print("--- alice's main screen ---\n\(aliceScreen)")

        // History search finds the message and jumps to it.
        try await alice.press("C-s")
        try await alice.waitFor("Search messages")
        try alice.type("中文")
        let search = try await alice.waitFor("1 found")
        #expect(search.contains("终端里的中文显示得很好"))
        print("--- alice's history search ---\n\(search)")
        try await alice.press("Enter")
        try await alice.waitUntil("search closed") { !$0.contains("Search messages") }

        // A resize redraws everything at the new size; too small says so; back again is fine.
        try alice.resize(width: 80, height: 24)
        // tmux clips the old picture at once; only a real redraw puts the corner back at column 80.
        let small = try await alice.waitUntil("redraw at 80×24") { screen in
            let lines = screen.split(separator: "\n", omittingEmptySubsequences: false)
            return lines.first.map { $0.hasSuffix("┐") && DisplayWidthProbe.columns($0) == 80 } == true
                && screen.contains("Friends (1)") && screen.contains("👍") && screen.contains("alice@127.0.0.1")
        }
        #expect(small.split(separator: "\n").allSatisfy { DisplayWidthProbe.columns($0) <= 80 })
        try alice.resize(width: 40, height: 12)
        try await alice.waitFor("too small")
        try alice.resize(width: 100, height: 30)
        try await alice.waitFor("Friends (1)")

        // Quitting restores the terminal: the shell is back, echoing and in cooked mode.
        try await alice.press("C-q")
        try await alice.waitUntil("the shell prompt") { !$0.contains("Friends (1)") }
        try await alice.run("stty -a | tr ' ' '\\n' | grep -E '^-?(echo|icanon)$' | tr '\\n' ' '; echo END")
        let shell = try await alice.waitFor("END")
        #expect(shell.contains("echo icanon") || (shell.contains("icanon") && shell.contains("echo ")))
        #expect(!shell.contains("-echo "))
        #expect(!shell.contains("-icanon"))

        // The server goes away. Bob's session token was saved, so starting again skips the
        // password and opens on the cache, offline; what he types waits in the outbox.
        try await bob.press("C-q")
        try await bob.waitUntil("bob quit") { !$0.contains("Friends (1)") }
        #expect(try await server.stop() == 0)
        try await bob.run("\(Self.wechatPath) --server \(gateURL)")
        try await bob.waitFor("Friends (1)")
        try await bob.waitFor("很好，谢谢")
        try await bob.waitFor("Offline")
        try bob.type("离线时写的 🛫")
        try await bob.press("Enter")
        try await bob.waitFor("1 to send")
        // The server comes back on the same address: the message goes out by itself.
        let port = URL(string: gateURL)!.port!
        let restarted = try ServerProcess(
            arguments: ["--gate-port", "\(port)", "--chat-port", "0"],
            dataDirectory: server.dataDirectory
        )
        _ = try await restarted.ready()
        try await bob.waitUntil("the outbox to empty", timeout: 30) {
            $0.contains("● connected") && !$0.contains("to send")
        }
        try await alice.run("\(Self.wechatPath) --server \(gateURL)")
        try await alice.waitFor("离线时写的 🛫", timeout: 20)
        try await bob.press("C-q")
        try await alice.press("C-q")
        _ = try await restarted.stop()
    }
}

/// Terminal columns of a captured line: CJK and emoji take two.
enum DisplayWidthProbe {
    static func columns(_ line: Substring) -> Int {
        line.reduce(0) { total, character in
            let scalar = character.unicodeScalars.first!.value
            let wide =
                (0x1100...0x115F).contains(scalar) || (0x2E80...0xA4CF).contains(scalar)
                || (0xAC00...0xD7A3).contains(scalar)
                || (0xF900...0xFAFF).contains(scalar) || (0xFE30...0xFE4F).contains(scalar)
                || (0xFF00...0xFF60).contains(scalar)
                || (0xFFE0...0xFFE6).contains(scalar) || (0x1F300...0x1FAFF).contains(scalar)
                || (0x20000...0x3FFFD).contains(scalar)
            return total + (wide ? 2 : 1)
        }
    }
}
