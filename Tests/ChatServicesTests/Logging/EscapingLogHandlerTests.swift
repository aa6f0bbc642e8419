import Logging
import Synchronization
import Testing

@testable import ChatServices

/// What reaches the log is escaped: no string from outside can forge a line or drive a terminal.
@Suite struct EscapingLogHandlerTests {
    /// Keeps what it is asked to write.
    final class Lines: Sendable {
        let all = Mutex<[String]>([])
    }

    struct Recorder: LogHandler {
        let lines: Lines
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(
            level: Logger.Level,
            message: Logger.Message,
            metadata: Logger.Metadata?,
            source: String,
            file: String,
            function: String,
            line: UInt
        ) {
            let all = self.metadata.merging(metadata ?? [:]) { $1 }
            lines.all.withLock {
                $0.append("\(message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
            }
        }
    }

    @Test func controlsNewlinesAndBidiAreEscapedInMessagesAndMetadata() {
        let recorded = Lines()
        var logger = Logger(label: "test") { _ in EscapingLogHandler(Recorder(lines: recorded)) }
        let hostile = "phone\u{1B}]52;c;ZXZpbA==\u{07}\n2026-01-01 critical FORGED \u{9B}31m \u{202E}txt"
        logger[metadataKey: "connection"] = "\(hostile)"
        logger.info("hello from \(hostile)", metadata: ["device": "\(hostile)", "list": ["\(hostile)"]])
        let line = recorded.all.withLock { $0.first } ?? ""
        #expect(
            !line.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0 == "\u{202E}" }
        )
        #expect(line.contains("\\u{1b}]52;c;ZXZpbA==\\u{7}\\u{a}2026-01-01 critical FORGED \\u{9b}31m \\u{202e}txt"))
    }

    @Test func plainTextIsUnchangedAndABackslashCannotImitateAnEscape() {
        #expect(EscapingLogHandler.escape("alice@example.com 你好 👋🏽") == "alice@example.com 你好 👋🏽")
        #expect(EscapingLogHandler.escape("\\u{a}") == "\\\\u{a}")
        #expect(EscapingLogHandler.escape("a\nb") == "a\\u{a}b")
    }
}
