import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real terminal for the real `wechat` binary: a tmux session on a private socket, driven with
/// send-keys and read with capture-pane, as a person at a keyboard would.
// @unchecked: the pids are set in `init` and `closed` by `close()`, which the test calls from
// its one task (and deinit, after it); no two threads touch them at once.
final class TmuxSession: @unchecked Sendable {
    let socket: String
    let name = "t"
    let home: String
    private(set) var serverPID: pid_t = 0
    /// The pane's shell: the leader of the session every program started in the pane belongs to.
    private(set) var shellPID: pid_t = 0
    private var closed = false

    /// Starts a shell in a `width`×`height` terminal with its own HOME and XDG directories.
    init(width: Int, height: Int) throws {
        socket = "wechat-test-\(UUID().uuidString.prefix(8))"
        home = FileManager.default.temporaryDirectory.appendingPathComponent("wechat-tui-\(UUID().uuidString)").path
        for sub in ["", "/data", "/config", "/state"] {
            try FileManager.default.createDirectory(atPath: home + sub, withIntermediateDirectories: true)
        }
        let environment = [
            "HOME=\(home)", "XDG_DATA_HOME=\(home)/data", "XDG_CONFIG_HOME=\(home)/config",
            "XDG_STATE_HOME=\(home)/state",
            "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "PS1='$ '", "TERM=tmux-256color",
        ]
        // The first command starts the tmux server, which would hold an output pipe open forever,
        // so it is the only one that can start a server: the options go with it. (Set one by one
        // afterwards, a `set-option` that found no server started one holding the test's pipe,
        // and the test waited on it for ever.)
        try tmux(
            startingServer: true,
            [
                "-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)",
                "env -i PATH=/usr/bin:/bin \(environment.joined(separator: " ")) bash --norc --noprofile",
                ";", "set-option", "-g", "status", "off",
                ";", "set-option", "-g", "escape-time", "10",
                ";", "set-option", "-g", "allow-passthrough", "on",
            ]
        )
        serverPID =
            pid_t(try tmux(["display-message", "-p", "#{pid}"]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        shellPID =
            pid_t(
                try tmux(["display-message", "-p", "-t", name, "#{pane_pid}"]).trimmingCharacters(
                    in: .whitespacesAndNewlines
                )
            ) ?? 0
    }

    deinit {
        close()
    }

    /// Ends the tmux server and everything running in it (it is a daemon: it would outlive the test),
    /// programs the test started in the pane included: a test that fails half-way must not leave
    /// a `wechat` behind.
    func close() {
        // Once only: `deinit` calls this again later, when these pids may belong to another
        // test's tmux or shell (a second close once killed a parallel test's tmux server).
        guard !closed else { return }
        closed = true
        _ = try? tmux(["kill-server"])
        if serverPID > 0 { kill(serverPID, SIGKILL) }
        if shellPID > 0 {
            for pid in Self.sessionMembers(shellPID).keys { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: home)
    }

    /// Every process of the session `leader` leads, by its command line (a pane's jobs keep the
    /// session id even after the shell is gone).
    static func sessionMembers(_ leader: pid_t) -> [pid_t: String] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [:] }
        var members: [pid_t: String] = [:]
        for entry in entries {
            guard let pid = pid_t(entry), pid != getpid(),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            // After "(comm)": state ppid pgrp session …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 3, pid_t(fields[3]) == leader else { continue }
            let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline"))) ?? Data()
            members[pid] = String(decoding: command.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        }
        return members
    }

    @discardableResult
    func tmux(startingServer: Bool = false, _ arguments: [String]) throws -> String {
        try Self.run(
            "/usr/bin/tmux",
            ["-u", "-L", socket] + arguments,
            captureOutput: !startingServer,
            environment: ["LANG=C.UTF-8", "LC_ALL=C.UTF-8", "PATH=/usr/bin:/bin", "TERM=xterm-256color"]
        )
    }

    /// Runs a tool and waits for it, with posix_spawn and waitpid rather than Foundation's
    /// `Process`, whose waiting does not mix with tmux forking its server from the client.
    static func run(_ path: String, _ arguments: [String], captureOutput: Bool, environment: [String]) throws -> String
    {
        var fds: [Int32] = [-1, -1]
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if captureOutput {
            guard pipe(&fds) == 0 else { throw TimedOut(description: "pipe failed") }
            posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
            posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
            posix_spawn_file_actions_addclose(&actions, fds[0])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, path, &actions, nil, argv, envp) == 0 else {
            throw TimedOut(description: "could not start \(path)")
        }
        var output = [UInt8]()
        if captureOutput {
            Glibc.close(fds[1])
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(fds[0], &buffer, buffer.count)
                if count <= 0 { break }
                output += buffer[0..<count]
            }
            Glibc.close(fds[0])
        }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return String(decoding: output, as: UTF8.self)
    }

    /// Types text literally (every character as is, CJK and emoji included).
    func type(_ text: String) throws {
        try tmux(["send-keys", "-t", name, "-l", text])
    }

    /// Presses named keys: Enter, Tab, BTab, Escape, F1, C-f, M-Enter, PPage, …
    /// Waits 50 ms after each key, asleep rather than blocking: the tests share a thread per core.
    func press(_ keys: String...) async throws {
        for key in keys {
            try tmux(["send-keys", "-t", name, key])
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Runs a shell command line in the pane.
    func run(_ command: String) async throws {
        try type(command)
        try await press("Enter")
    }

    func screen() throws -> String {
        try tmux(["capture-pane", "-p", "-t", name])
    }

    func resize(width: Int, height: Int) throws {
        try tmux(["resize-window", "-t", name, "-x", "\(width)", "-y", "\(height)"])
    }

    /// Waits until the screen shows `text`; returns the screen.
    @discardableResult
    func waitFor(_ text: String, timeout: Double = 15) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if last.contains(text) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TimedOut(description: "the screen never showed “\(text)”. It shows:\n\(last)")
    }

    /// Waits until `condition` holds for the screen.
    @discardableResult
    func waitUntil(_ what: String, timeout: Double = 15, _ condition: (String) -> Bool) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var last = ""
        while Date() < deadline {
            last = try screen()
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TimedOut(description: "\(what) never happened. The screen shows:\n\(last)")
    }
}
