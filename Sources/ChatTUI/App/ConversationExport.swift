import ChatClient
import ChatProtocol
import Foundation

/// F4: the whole open conversation as a plain-text file, one line per message
/// (`2026-11-27 10:02  bob: text`, local time), under `$XDG_DATA_HOME/wechat/exports`.
public enum ConversationExport {
    /// Messages asked for per page while paging back through a conversation.
    static let pageSize = 100

    /// Where exports go: `$XDG_DATA_HOME/wechat/exports` (`~/.local/share/wechat/exports`).
    public static func directory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        (AppPaths(environment: environment).data as NSString).appendingPathComponent("exports")
    }

    /// Pages through the conversation, newest first, until seq 1 (or until the history gives no
    /// more, as a cache without a connection does), and writes it out; returns the file's path
    /// and how many messages it holds. `history` is `ChatSession.history(with:beforeSeq:limit:)`
    /// for the conversation.
    public static func export(
        fileStem: String,
        names: [UserID: String],
        directory: String,
        now: Date = Date(),
        history: @Sendable (_ beforeSeq: UInt64) async throws -> [ChatMessage]
    ) async throws -> (path: String, count: Int) {
        let messages = try await collect(history)
        do {
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        } catch {
            throw ChatError(.internalError, "Could not create \(directory): \(error.localizedDescription)")
        }
        let path = (directory as NSString).appendingPathComponent(fileName(stem: fileStem, date: now))
        try PrivateFile.save(text(of: messages, names: names), to: path)
        return (path, messages.count)
    }

    /// `path` with the home directory as `~`, to fit the status bar.
    static func shortened(_ path: String, home: String? = ProcessInfo.processInfo.environment["HOME"]) -> String {
        guard let home, !home.isEmpty, home != "/", path.hasPrefix(home + "/") else { return path }
        return "~" + String(path.dropFirst(home.count))
    }

    /// Every message, oldest first. The server caps pages by bytes, so a short page is not the
    /// end: seq 1 is, or an empty page. A page that reaches no further back than the last one
    /// ends it too, so a misbehaving history cannot loop forever.
    static func collect(
        _ history: @Sendable (_ beforeSeq: UInt64) async throws -> [ChatMessage]
    ) async throws -> [ChatMessage] {
        var byID: [Int64: ChatMessage] = [:]
        var before: UInt64 = 0
        while true {
            let page = try await history(before)
            guard let oldest = page.map(\.seq).min() else { break }
            for message in page { byID[message.id] = message }
            if oldest <= 1 || (before != 0 && oldest >= before) { break }
            before = oldest
        }
        return byID.values.sorted { $0.seq < $1.seq }
    }

    /// `<peer>-<YYYY-MM-DD>.txt`, the peer's name made safe for a file name (it comes from the
    /// server, which is not trusted with paths).
    static func fileName(stem: String, date: Date) -> String {
        "\(SafeFileName.from(stem))-\(TimeFormat.day(ms: Int64(date.timeIntervalSince1970 * 1000))).txt"
    }

    /// How far a message's second and later lines are indented: past the time, under the name,
    /// so every line that starts a message starts with a date and the rest never do.
    static let continuationIndent = String(repeating: " ", count: "YYYY-MM-DD HH:MM  ".count)

    /// The text of the file: `YYYY-MM-DD HH:MM  name: text` per message, in local time. Control
    /// characters are dropped as they are on screen (a message's escape sequences must not act
    /// on the terminal of whoever `cat`s the file), tabs become spaces.
    static func text(of messages: [ChatMessage], names: [UserID: String]) -> String {
        var out = ""
        for message in messages {
            let name = LineEditor.sanitize(names[message.senderID] ?? "#\(message.senderID)")
                .replacingOccurrences(of: "\n", with: " ")
            let time = TimeFormat.day(ms: message.sentAtMs) + " " + TimeFormat.clock(ms: message.sentAtMs)
            let lines = LineEditor.sanitize(message.text).split(separator: "\n", omittingEmptySubsequences: false)
            out += "\(time)  \(name): \(lines.first ?? "")\n"
            for line in lines.dropFirst() { out += "\(continuationIndent)\(line)\n" }
        }
        return out
    }
}
