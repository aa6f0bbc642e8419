import Logging
import Synchronization

/// A logger whose lines a test can read: for "this is logged" and "nothing was tried" checks.
public final class CapturedLogs: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    public var logger: Logger {
        Logger(label: "captured") { _ in Handler(logs: self) }
    }

    /// Every message so far, as "level: message".
    public var messages: [String] { lines.withLock { $0 } }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    private struct Handler: LogHandler {
        let logs: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            logs.append("\(event.level): \(event.message)")
        }
    }
}
