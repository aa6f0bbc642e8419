import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn and reaped with waitpid. Foundation's `Process`
/// reaps children from a shared monitor that, with tmux forking its server and several tests
/// spawning at once, was seen to miss exits; this does exactly what it says and nothing else.
// @unchecked: `status` is read and written under `lock` only.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private var status: Int32?
    private let lock = NSLock()

    /// Starts `path` with its stdout and stderr appended to the given files.
    init(
        path: String,
        arguments: [String],
        stdoutPath: String,
        stderrPath: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard result == 0 else {
            throw TimedOut(description: "could not start \(path): \(String(cString: strerror(result)))")
        }
        self.pid = pid
    }

    /// The exit status once the process has ended (128 + signal if a signal ended it), else nil.
    var exitStatus: Int32? {
        lock.lock()
        defer { lock.unlock() }
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        let signal = raw & 0x7f
        status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        return status
    }

    var isRunning: Bool { exitStatus == nil }

    /// Kills the process and reaps it: after SIGKILL the wait is a few milliseconds, and a child
    /// not reaped stays a zombie for as long as the test process runs.
    func killAndReap() {
        send(SIGKILL)
        for _ in 0..<500 where isRunning {
            usleep(2_000)
        }
    }

    func send(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }
}
