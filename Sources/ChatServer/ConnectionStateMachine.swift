import ChatProtocol
import NIOCore

/// The life of one chat connection as a value: `ConnectionHandler` reports what happened, the
/// machine answers with what to do next. All the flags a connection needs live here, with the
/// rules that combine them, so the rules can be read in one place and tested without a channel.
///
/// The rules:
/// - **One thing at a time, in arrival order.** Frames queue in `pending` and are served one by
///   one. A frame whose work leaves the loop (Hello, a request that reads the database, a message
///   waiting for an in-flight slot) makes the connection *busy*; nothing more is served until that
///   work reports back.
/// - **Reads follow serving.** The socket is asked for more bytes only while the connection is
///   open, idle and has nothing queued. Otherwise the read is *withheld* and passed on once the
///   queue empties. That is the back-pressure: a client that outruns its in-flight limit, or whose
///   replies are not being read, is simply not read from.
/// - **The first frame is Hello.** Until a Hello has been accepted every frame is served as one.
/// - **A bad frame ends the connection, after what came before it.** The decoder's error waits
///   until the frames read before it are served, then the connection says why and closes.
/// - **Shutdown drains.** No more reads; what was read is served; then Goodbye (behind the acks
///   of messages still committing) and close.
/// - **Closing is final.** Once closing, frames are dropped and nothing is served. When the
///   channel goes inactive the session ends, unless Hello is still being checked: its end does
///   that, because it may yet have registered a session that must be ended.
struct ConnectionStateMachine {
    enum Phase: Equatable {
        /// Reading and serving.
        case open
        /// The server is shutting down: no more reads; closes once what was read is served.
        case draining
        /// Closing or closed: nothing more is served.
        case closing
    }

    /// Work off the event loop that the connection waits for before serving its next frame.
    enum Work: Equatable {
        /// Checking the token of the first frame.
        case hello
        /// A request other than a message, served in a task.
        case request
        /// A message waiting for one of the connection's in-flight slots.
        case inFlightSlot
    }

    /// What the handler does next.
    enum Action: Equatable {
        /// Nothing, until the next event.
        case wait
        /// Decode and serve this frame as the connection's Hello.
        case serveHello(ByteBuffer)
        /// Decode and serve this frame in the established session.
        case serve(ByteBuffer)
        /// Ask the socket for more bytes (a read that was withheld).
        case read
        /// The byte stream cannot be trusted: say why and close.
        case closeUnreadable(ChatError)
        /// Close without a word (the peer is gone or already told).
        case close
        /// Hello was refused while the channel is open: say why and close.
        case refuseHello
        /// Drained: say Goodbye once the in-flight messages have committed, then close (a
        /// connection without a session just closes).
        case sayGoodbyeAndClose
        /// The channel is gone: end the session (presence, registry) and stop counting it.
        case endSession
    }

    private(set) var phase = Phase.open
    private(set) var work: Work?
    /// Set once Hello has been accepted.
    private(set) var isEstablished = false
    /// Frames read while the connection was busy, in arrival order.
    private var pending = CircularBuffer<ByteBuffer>(initialCapacity: 4)
    /// The socket was asked for a read while serving could not take more.
    private(set) var readWithheld = false
    /// The decoder failed behind frames that still wait: said once they are served.
    private var unreadable: ChatError?

    var pendingCount: Int { pending.count }

    // MARK: Events

    /// A frame arrived from the decoder.
    mutating func frameRead(_ frame: ByteBuffer) -> Action {
        guard phase != .closing else { return .wait }
        pending.append(frame)
        return next()
    }

    /// NIO asks for more bytes.
    mutating func readRequested() -> Action {
        guard phase == .open, work == nil, pending.isEmpty else {
            readWithheld = true
            return .wait
        }
        return .read
    }

    /// The frame decoder found a frame it cannot accept.
    mutating func decodeFailed(_ error: ChatError) -> Action {
        guard phase != .closing else { return .wait }
        if work != nil || !pending.isEmpty {
            unreadable = unreadable ?? error
            return .wait
        }
        phase = .closing
        return .closeUnreadable(error)
    }

    /// More bytes came after a frame the decoder refused.
    mutating func bytesAfterBadFrame() -> Action {
        guard unreadable == nil, phase != .closing else { return .wait }
        phase = .closing
        return .close
    }

    /// The transport failed (TLS, a reset): nothing more can be said.
    mutating func transportFailed() -> Action {
        phase = .closing
        return .close
    }

    /// The server is shutting down.
    mutating func shutdownRequested() -> Action {
        guard phase == .open else { return .wait }
        phase = .draining
        return next()
    }

    /// The handler is closing the connection itself (a refusal it has said).
    mutating func closing() {
        phase = .closing
    }

    /// Serving the current frame needs `work` off the loop; nothing more is served until it ends.
    mutating func started(_ work: Work) {
        precondition(self.work == nil, "\(work) started while \(self.work.map { "\($0)" } ?? "") runs")
        self.work = work
    }

    /// A request, or the wait for an in-flight slot, has ended.
    mutating func finished() -> Action {
        precondition(work == .request || work == .inFlightSlot, "finished() without a request")
        work = nil
        return next()
    }

    /// Hello has been checked. `channelIsActive`: whether the channel is still open.
    mutating func helloEnded(accepted: Bool, channelIsActive: Bool) -> Action {
        precondition(work == .hello, "helloEnded() without a Hello")
        work = nil
        if !accepted, channelIsActive, phase != .closing {
            // Says why and closes; `channelInactive` then ends it.
            phase = .closing
            return .refuseHello
        }
        guard accepted, channelIsActive, phase != .closing else {
            // Refused after the channel closed, or the channel closed while Hello ran: whichever
            // of this and `channelInactive` comes last ends the session.
            phase = .closing
            return channelIsActive ? .close : .endSession
        }
        isEstablished = true
        return next()
    }

    /// The channel has closed.
    mutating func channelInactive() -> Action {
        phase = .closing
        pending.removeAll()
        // While Hello runs, its end ends the session: it may yet register one.
        return work == .hello ? .wait : .endSession
    }

    // MARK: Serving in order

    /// What comes after the current step: the next waiting frame, or what to do once none wait.
    mutating func next() -> Action {
        guard work == nil, phase != .closing else { return .wait }
        if let frame = pending.popFirst() {
            return isEstablished ? .serve(frame) : .serveHello(frame)
        }
        if let error = unreadable {
            unreadable = nil
            phase = .closing
            return .closeUnreadable(error)
        }
        if phase == .draining {
            phase = .closing
            return .sayGoodbyeAndClose
        }
        if readWithheld {
            readWithheld = false
            return .read
        }
        return .wait
    }
}
