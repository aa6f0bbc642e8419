import ChatProtocol
import NIOCore
import Testing

@testable import ChatServer

/// Every transition of a connection's life, without a channel: what the machine says to do after
/// each event.
@Suite struct ConnectionStateMachineTests {
    typealias Machine = ConnectionStateMachine

    static func frame(_ byte: UInt8) -> ByteBuffer { ByteBuffer(bytes: [byte]) }
    static let badFrame = ChatError(.frameTooLarge, "too large")

    /// A machine past Hello, serving.
    static func established() -> Machine {
        var machine = Machine()
        #expect(machine.frameRead(frame(0)) == .serveHello(frame(0)))
        machine.started(.hello)
        #expect(machine.helloEnded(accepted: true, channelIsActive: true) == .wait)
        #expect(machine.isEstablished)
        return machine
    }

    @Test func theFirstFrameIsServedAsHelloAndLaterOnesWaitForIt() {
        var machine = Machine()
        #expect(machine.frameRead(Self.frame(1)) == .serveHello(Self.frame(1)))
        machine.started(.hello)
        #expect(machine.frameRead(Self.frame(2)) == .wait)
        #expect(machine.frameRead(Self.frame(3)) == .wait)
        #expect(machine.pendingCount == 2)
        #expect(machine.helloEnded(accepted: true, channelIsActive: true) == .serve(Self.frame(2)))
        #expect(machine.next() == .serve(Self.frame(3)))
        #expect(machine.next() == .wait)
    }

    @Test func readsPassOnlyWhileIdleWithNothingQueued() {
        var machine = Self.established()
        #expect(machine.readRequested() == .read)
        machine.started(.request)
        #expect(machine.readRequested() == .wait)
        #expect(machine.readWithheld)
        #expect(machine.frameRead(Self.frame(1)) == .wait)
        // The request ends: the queued frame first, then the withheld read.
        #expect(machine.finished() == .serve(Self.frame(1)))
        #expect(machine.next() == .read)
        #expect(!machine.readWithheld)
        #expect(machine.next() == .wait)
    }

    @Test func aMessageWaitingForAnInFlightSlotHoldsBackLaterFrames() {
        var machine = Self.established()
        #expect(machine.frameRead(Self.frame(1)) == .serve(Self.frame(1)))
        machine.started(.inFlightSlot)
        #expect(machine.frameRead(Self.frame(2)) == .wait)
        #expect(machine.readRequested() == .wait)
        #expect(machine.finished() == .serve(Self.frame(2)))
        #expect(machine.next() == .read)
    }

    @Test func framesAreServedInArrivalOrder() {
        var machine = Self.established()
        machine.started(.request)
        for byte in UInt8(1)...UInt8(40) { #expect(machine.frameRead(Self.frame(byte)) == .wait) }
        var served: [UInt8] = []
        var action = machine.finished()
        while case .serve(let frame) = action {
            served.append(frame.getInteger(at: 0)!)
            action = machine.next()
        }
        #expect(served == Array(1...40))
    }

    @Test func aBadFrameWithNothingQueuedClosesAtOnce() {
        var machine = Self.established()
        #expect(machine.decodeFailed(Self.badFrame) == .closeUnreadable(Self.badFrame))
        #expect(machine.phase == .closing)
        #expect(machine.frameRead(Self.frame(1)) == .wait)
        #expect(machine.bytesAfterBadFrame() == .wait)
    }

    @Test func aBadFrameIsAnsweredAfterTheFramesBeforeIt() {
        var machine = Self.established()
        machine.started(.request)
        #expect(machine.frameRead(Self.frame(1)) == .wait)
        #expect(machine.decodeFailed(Self.badFrame) == .wait)
        // More bytes behind the bad frame change nothing: it is already being answered.
        #expect(machine.bytesAfterBadFrame() == .wait)
        #expect(machine.finished() == .serve(Self.frame(1)))
        #expect(machine.next() == .closeUnreadable(Self.badFrame))
        #expect(machine.phase == .closing)
        #expect(machine.next() == .wait)
    }

    @Test func bytesAfterABadFrameThatWasNotAnsweredClose() {
        var machine = Self.established()
        #expect(machine.bytesAfterBadFrame() == .close)
        #expect(machine.bytesAfterBadFrame() == .wait)
    }

    @Test func aTransportFailureCloses() {
        var machine = Self.established()
        #expect(machine.transportFailed() == .close)
        #expect(machine.next() == .wait)
        #expect(machine.channelInactive() == .endSession)
    }

    @Test func shutdownServesWhatWasReadThenSaysGoodbye() {
        var machine = Self.established()
        machine.started(.request)
        #expect(machine.frameRead(Self.frame(1)) == .wait)
        #expect(machine.shutdownRequested() == .wait)
        #expect(machine.phase == .draining)
        // Nothing more is read while draining.
        #expect(machine.readRequested() == .wait)
        #expect(machine.finished() == .serve(Self.frame(1)))
        #expect(machine.next() == .sayGoodbyeAndClose)
        #expect(machine.phase == .closing)
        #expect(machine.shutdownRequested() == .wait)
    }

    @Test func shutdownOfAnIdleConnectionSaysGoodbyeAtOnce() {
        var machine = Self.established()
        #expect(machine.shutdownRequested() == .sayGoodbyeAndClose)
    }

    @Test func shutdownWhileHelloRunsWaitsForIt() {
        var machine = Machine()
        #expect(machine.frameRead(Self.frame(1)) == .serveHello(Self.frame(1)))
        machine.started(.hello)
        #expect(machine.shutdownRequested() == .wait)
        #expect(machine.helloEnded(accepted: true, channelIsActive: true) == .sayGoodbyeAndClose)
    }

    @Test func aRefusedHelloSaysWhyAndCloses() {
        var machine = Machine()
        _ = machine.frameRead(Self.frame(1))
        machine.started(.hello)
        #expect(machine.frameRead(Self.frame(2)) == .wait)
        #expect(machine.helloEnded(accepted: false, channelIsActive: true) == .refuseHello)
        #expect(machine.phase == .closing)
        #expect(machine.next() == .wait)
        #expect(machine.channelInactive() == .endSession)
    }

    @Test func whenTheChannelClosesDuringHelloHelloEndsTheSession() {
        var machine = Machine()
        _ = machine.frameRead(Self.frame(1))
        machine.started(.hello)
        #expect(machine.channelInactive() == .wait)
        #expect(machine.helloEnded(accepted: true, channelIsActive: false) == .endSession)
    }

    @Test func aHelloAcceptedAfterTheHandlerClosedClosesTheChannel() {
        var machine = Machine()
        _ = machine.frameRead(Self.frame(1))
        machine.started(.hello)
        machine.closing()
        #expect(machine.helloEnded(accepted: true, channelIsActive: true) == .close)
        #expect(!machine.isEstablished)
    }

    @Test func closingDropsQueuedFramesAndLaterOnes() {
        var machine = Self.established()
        machine.started(.request)
        _ = machine.frameRead(Self.frame(1))
        #expect(machine.channelInactive() == .endSession)
        #expect(machine.pendingCount == 0)
        #expect(machine.frameRead(Self.frame(2)) == .wait)
        #expect(machine.finished() == .wait)
        #expect(machine.readRequested() == .wait)
    }
}
