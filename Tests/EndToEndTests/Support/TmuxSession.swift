import Foundation

/// A real terminal for the real `wechat` binary: a tmux session on a private socket, driven with
/// send-keys and read with capture-pane, as a person at a keyboard would.
final class TmuxSession: @unchecked Sendable {
    let socket: String
    let name = "t"
    let home: String

    /// Starts a shell in a `width`×`height` terminal with its own HOME and XDG directories.
    init(width: Int, height: Int) throws {
        socket = "wechat-test-\(UUID().uuidString.prefix(8))"
        home = FileManager.default.temporaryDirectory.appendingPathComponent("wechat-tui-\(UUID().uuidString)").path
        for sub in ["", "/data", "/config", "/state"] {
            try FileManager.default.createDirectory(atPath: home + sub, withIntermediateDirectories: true)
        }
        let environment = [
            "HOME=\(home)", "XDG_DATA_HOME=\(home)/data", "XDG_CONFIG_HOME=\(home)/config", "XDG_STATE_HOME=\(home)/state",
            "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "PS1='$ '", "TERM=tmux-256color",
        ]
        try tmux(["-f", "/dev/null", "new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)",
                  "env -i PATH=/usr/bin:/bin \(environment.joined(separator: " ")) bash --norc --noprofile"])
        try tmux(["set-option", "-g", "status", "off"])
        try tmux(["set-option", "-g", "escape-time", "10"])
    }

    deinit {
        _ = try? tmux(["kill-server"])
        try? FileManager.default.removeItem(atPath: home)
    }

    @discardableResult
    func tmux(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
        process.arguments = ["-u", "-L", socket] + arguments
        process.environment = ["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin", "TERM": "xterm-256color"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Types text literally (every character as is, CJK and emoji included).
    func type(_ text: String) throws {
        try tmux(["send-keys", "-t", name, "-l", text])
    }

    /// Presses named keys: Enter, Tab, BTab, Escape, F1, C-f, M-Enter, PPage, …
    func press(_ keys: String...) throws {
        for key in keys {
            try tmux(["send-keys", "-t", name, key])
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Runs a shell command line in the pane.
    func run(_ command: String) throws {
        try type(command)
        try press("Enter")
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
