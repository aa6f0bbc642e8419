import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wakes the UI thread from its wait for a key. The loop sleeps until a key, a posted action or
/// a timer it needs is due; it once polled for keys every 40 ms and woke 26 times a second with
/// nothing to do.
///
/// A pipe, because the other thing waited for is a file descriptor (the terminal): the backend
/// polls both. And `write` is async-signal-safe, so a signal handler can wake the loop too.
public final class WakeSignal: Sendable {
    /// Readable while a wake is pending.
    public let readDescriptor: Int32
    /// For signal handlers, which may only write to it; everyone else calls `wake()`.
    public let writeDescriptor: Int32
    /// A byte is in the pipe and not yet cleared: a burst of posts writes one.
    private let pending = Atomic<Bool>(false)

    public init() {
        var descriptors: [Int32] = [-1, -1]
        if pipe(&descriptors) == 0 {
            for descriptor in descriptors {
                // Non-blocking: a full pipe already wakes, and clearing must not wait for more.
                _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
                _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            }
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    deinit {
        if readDescriptor >= 0 { close(readDescriptor) }
        if writeDescriptor >= 0 { close(writeDescriptor) }
    }

    /// Ends the waiting thread's wait (now, or its next one if it is not waiting).
    public func wake() {
        guard !pending.exchange(true, ordering: .sequentiallyConsistent) else { return }
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Called by the waiting thread before it looks at what there is to do: a wake that comes
    /// after this is seen by the next wait, so none is lost.
    /// The pipe is emptied before the flag is lowered: the other way round, a wake landing in
    /// between would have its byte swallowed while its flag stayed up, and every later wake
    /// would see the flag and write nothing (the UI slept until its next timer).
    public func clear() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
        pending.store(false, ordering: .sequentiallyConsistent)
    }

    /// Whether a wake is pending, without waiting or clearing it.
    public var isRaised: Bool {
        var descriptor = pollfd(fd: readDescriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0 && Int32(descriptor.revents) & POLLIN != 0
    }
}
