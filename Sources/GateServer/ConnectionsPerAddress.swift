import Logging
import NIOCore
import Synchronization

/// Counts the gate's open connections per client address, and closes a connection at once when
/// its address already holds `limit`.
final class ConnectionsPerAddress: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    let limit: Int
    let logger: Logger

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    /// A connection opened; false if its address is over the limit (it is not counted then).
    func opened(from address: String) -> Bool {
        counts.withLock { counts in
            guard counts[address, default: 0] < limit else { return false }
            counts[address, default: 0] += 1
            return true
        }
    }

    func closed(from address: String) {
        counts.withLock { counts in
            counts[address, default: 1] -= 1
            if counts[address] == 0 { counts[address] = nil }
        }
    }

    /// The handler each connection's pipeline gets.
    func handler() -> Handler { Handler(owner: self) }

    /// Passes everything through untouched (it never unwraps a read, so its declared type is
    /// nominal); only watches the connection open and close.
    final class Handler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer

        private let owner: ConnectionsPerAddress
        private var counted: String?

        init(owner: ConnectionsPerAddress) {
            self.owner = owner
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
            if owner.opened(from: address) {
                counted = address
            } else {
                owner.logger.warning(
                    "connection refused: too many from one address",
                    metadata: ["client": "\(address)", "max": "\(owner.limit)"]
                )
                context.close(promise: nil)
            }
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            if let counted { owner.closed(from: counted) }
            counted = nil
        }
    }
}
