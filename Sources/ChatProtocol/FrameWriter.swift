import NIOCore
import Synchronization

/// Writes frames to a channel from any thread, coalescing them: frames queued between two turns
/// of the channel's event loop go out together, with one flush, so a busy connection costs one
/// system call per loop turn instead of one per frame (and one hop onto the loop, not one each).
/// Frames keep the order in which `write` was called.
///
/// Server and client connections both write through one, since both pipeline many frames.
public final class FrameWriter: Sendable {
    public let channel: Channel
    private let queued = Mutex(Queued())

    private struct Queued {
        var frames: [(ByteBuffer, EventLoopPromise<Void>?)] = []
        var flushScheduled = false
    }

    public init(channel: Channel) {
        self.channel = channel
    }

    /// Queues `frame` for the next turn of the event loop; `promise` (if any) completes once it
    /// is written, or fails if the channel closes first.
    public func write(_ frame: ByteBuffer, promise: EventLoopPromise<Void>? = nil) {
        let scheduleFlush = queued.withLock { queued in
            queued.frames.append((frame, promise))
            defer { queued.flushScheduled = true }
            return !queued.flushScheduled
        }
        if scheduleFlush {
            channel.eventLoop.execute { self.flushQueued() }
        }
    }

    /// Queues `frame` and waits until it is written.
    public func writeAndWait(_ frame: ByteBuffer) async throws {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        write(frame, promise: promise)
        try await promise.futureResult.get()
    }

    /// On the event loop: everything queued since the last turn, then one flush.
    private func flushQueued() {
        let frames = queued.withLock { queued in
            defer {
                queued.frames = []
                queued.flushScheduled = false
            }
            return queued.frames
        }
        for (frame, promise) in frames {
            channel.write(frame, promise: promise)
        }
        channel.flush()
    }
}
