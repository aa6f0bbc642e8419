import Testing

@testable import ChatTUI

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The UI thread's wait ends when an action is posted, and a post is never lost between the
/// wait's end and the next wait.
@Suite struct WakeSignalTests {
    @Test func aPostWakesUntilTheQueueIsDrained() {
        let queue = ActionQueue()
        #expect(!queue.wake.isRaised)
        queue.post(.signedOut)
        queue.post(.signedOut)
        #expect(queue.wake.isRaised)
        #expect(queue.drain().count == 2)
        #expect(!queue.wake.isRaised, "drained: nothing left to wake for")
        // A post after the drain wakes the next wait.
        queue.post(.signedOut)
        #expect(queue.wake.isRaised)
    }

    /// What a signal handler does: one byte written to the pipe.
    @Test func aByteFromASignalHandlerWakesToo() {
        let signal = WakeSignal()
        var byte: UInt8 = 1
        #expect(write(signal.writeDescriptor, &byte, 1) == 1)
        #expect(signal.isRaised)
        signal.clear()
        #expect(!signal.isRaised)
        signal.wake()
        #expect(signal.isRaised)
    }
}
