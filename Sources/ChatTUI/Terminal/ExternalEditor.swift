import ChatProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-X Ctrl-E, as in bash: the draft in the user's own editor. The text goes to a file in a
/// fresh directory only the user can enter, `$VISUAL` or `$EDITOR` (else `vi`) runs on it, and
/// what the file holds when the editor exits comes back as the draft.
///
/// `edit` blocks until the editor exits. The caller is the UI thread with curses put aside
/// (`TerminalBackend.runWithTerminalReleased`): the editor has the terminal, so there is nothing
/// for the app to draw or read meanwhile.
public enum ExternalEditor {
    /// `$VISUAL`, else `$EDITOR`, else `vi`; set but blank counts as unset. It is a shell command
    /// line, as for git and bash: `code --wait` and `emacs -nw` work.
    public static func command(environment: [String: String]) -> String {
        for name in ["VISUAL", "EDITOR"] {
            if let value = environment[name], !value.allSatisfy(\.isWhitespace) { return value }
        }
        return "vi"
    }

    /// The edited text, or why the draft stays as it was: the editor could not start, or exited
    /// with a failure (`:cq` in vi is how one says "never mind"). Line breaks at the end are
    /// dropped (editors end a file with one); those inside are kept.
    public static func edit(
        _ text: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Result<String, ChatError> {
        let editor = command(environment: environment)
        guard let directory = makePrivateDirectory() else {
            return .failure(ChatError(.internalError, "Could not make a private temporary directory for the editor."))
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/message.txt"
        do {
            try PrivateFile.save(text.isEmpty ? "" : text + "\n", to: path)
        } catch {
            return .failure(EffectRunner.chatError(error))
        }
        let status: Int32
        switch run(editor, on: path, environment: environment) {
        case .success(let code): status = code
        case .failure(let error): return .failure(error)
        }
        guard status == 0 else {
            let why = status == 127 ? " (not found?)" : ""
            return .failure(
                ChatError(.internalError, "\(editor) exited with status \(status)\(why): the draft is unchanged.")
            )
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(ChatError(.internalError, "\(editor) removed the file: the draft is unchanged."))
        }
        return .success(withoutFinalLineBreaks(String(decoding: data, as: UTF8.self)))
    }

    static func withoutFinalLineBreaks(_ text: String) -> String {
        var result = text
        while let last = result.unicodeScalars.last, last == "\n" || last == "\r" {
            result.unicodeScalars.removeLast()
        }
        return result
    }

    /// `mkdtemp` under `$TMPDIR` (or /tmp): a new directory of mode 0700 that no one else can
    /// have prepared, so the file in it cannot be read or swapped by another account.
    private static func makePrivateDirectory() -> String? {
        let pattern = (NSTemporaryDirectory() as NSString).appendingPathComponent("wechat-compose-XXXXXX")
        var template = Array(pattern.utf8CString)
        return template.withUnsafeMutableBufferPointer { buffer -> String? in
            guard let base = buffer.baseAddress, mkdtemp(base) != nil else { return nil }
            return String(cString: base)
        }
    }

    /// Runs `editor` on `path` through `/bin/sh -c 'editor "$1"'`, so the editor line may carry
    /// arguments and the path is never split or interpreted. Returns the exit status (128 + the
    /// signal if one ended it).
    ///
    /// The child gets the terminal as fds 0 and 1, and as fd 2 too when ours goes to the log file
    /// (the app's stderr does): an editor's messages belong on the screen. It starts with no
    /// signals blocked (the UI thread blocks some) and Ctrl-C, Ctrl-\ and SIGPIPE at their
    /// defaults. Meanwhile the app ignores Ctrl-C and Ctrl-\, as `system(3)` does: in the shell's
    /// terminal modes they go to the whole foreground group, and a Ctrl-C meant for the editor
    /// must not quit the chat.
    static func run(_ editor: String, on path: String, environment: [String: String]) -> Result<Int32, ChatError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if isatty(STDOUT_FILENO) != 0, isatty(STDERR_FILENO) == 0 {
            posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in [SIGINT, SIGQUIT, SIGPIPE] { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = ["sh", "-c", editor + " \"$1\"", "sh", path]
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }

        let previousInterrupt = signal(SIGINT, SIG_IGN)
        let previousQuit = signal(SIGQUIT, SIG_IGN)
        defer {
            _ = signal(SIGINT, previousInterrupt)
            _ = signal(SIGQUIT, previousQuit)
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard spawned == 0 else {
            return .failure(
                ChatError(.internalError, "Could not start \(editor): \(String(cString: strerror(spawned))).")
            )
        }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 {
            guard errno == EINTR else {
                return .failure(ChatError(.internalError, "Lost track of \(editor): the draft is unchanged."))
            }
        }
        let signalNumber = raw & 0x7f
        return .success(signalNumber == 0 ? (raw >> 8) & 0xff : 128 + signalNumber)
    }
}
