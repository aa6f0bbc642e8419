import Logging
import ServiceLifecycle

/// Drops the chat servers that stopped sending heartbeats, every `interval`, until shutdown:
/// what a status process runs beside the service it serves. A crashed chat server is then no
/// longer assigned, and its users are no longer reported online, within a few seconds.
public struct SilentChatServerSweeper: Service {
    private let status: RedisStatusService
    private let interval: Duration

    public init(status: RedisStatusService, interval: Duration = .seconds(1)) {
        self.status = status
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // Shutdown cancels the sleep: that is the way out, not an error.
            while (try? await Task.sleep(for: interval)) != nil {
                await status.sweepSilentChatServers()
            }
        }
    }
}
