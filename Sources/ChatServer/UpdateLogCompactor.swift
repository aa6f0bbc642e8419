import ChatServices
import Logging
import ServiceLifecycle

/// Keeps every user's update log short: every `interval`, the oldest entries past the newest
/// `keepingLast` of each log are deleted, in bounded rounds. The log is how a device catches up
/// on what it missed; one that fell further behind than what is kept gets a full resync instead
/// (`SyncReply.horizon_update_id`), so the log no longer grows with every message ever sent.
///
/// Deleting is idempotent, so every chat node of a cluster may run one over the shared store.
public struct UpdateLogCompactor: Service {
    public struct Configuration: Sendable {
        /// Entries kept per user: a device that was offline for fewer updates than this catches
        /// up from the log; beyond it, it resyncs.
        public var keepingLast: Int
        public var interval: Duration
        /// Rows one delete statement removes at most, so none holds the database for long.
        public var rowsPerStatement: Int

        public init(keepingLast: Int = 10_000, interval: Duration = .seconds(600), rowsPerStatement: Int = 10_000) {
            precondition(keepingLast >= 1, "the newest entry numbers the next one, so at least one is kept")
            precondition(rowsPerStatement >= 1, "a statement deletes at least one row")
            self.keepingLast = keepingLast
            self.interval = interval
            self.rowsPerStatement = rowsPerStatement
        }
    }

    private let messages: any MessageStore
    private let configuration: Configuration
    private let logger: Logger

    public init(messages: any MessageStore, configuration: Configuration = .init(), logger: Logger) {
        self.messages = messages
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // Shutdown cancels the sleep: that is the way out, not an error.
            while (try? await Task.sleep(for: configuration.interval)) != nil {
                await compactNow()
            }
        }
    }

    /// Deletes everything past the kept entries (one scan of the logs, then bounded statements).
    /// Returns how many went.
    @discardableResult
    public func compactNow() async -> Int {
        do {
            let deleted = try await messages.compactUpdateLogs(
                keepingLast: configuration.keepingLast,
                rowsPerStatement: configuration.rowsPerStatement
            )
            if deleted > 0 {
                logger.info("update logs compacted", metadata: ["deleted": "\(deleted)"])
            }
            return deleted
        } catch {
            // The next interval tries again; nothing is lost by waiting.
            logger.warning("update log compaction failed", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
