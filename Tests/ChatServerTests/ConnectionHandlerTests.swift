import ChatProtocol
import ChatServices
import NIOCore
import NIOEmbedded
import Testing

@testable import ChatServer

/// A connection's handlers (the server's own pipeline) on a test channel: pipelining, a reader
/// that stops reading, shutdown behind pending acks, and the Hello and idle timeouts on a clock
/// the test moves. Real stores behind them (SQLite in a temporary directory), no sockets.
@Suite struct ConnectionHandlerTests {
    @Test func helloThenARequestIsAnswered() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            let ok = try await connection.hello(fixture)
            #expect(ok.me.username == "alice")
            try await connection.send(ConnectionFixture.request(.listFriends(WireListFriends()), requestID: 2))
            let reply = try await connection.next()
            #expect(reply.requestID == 2)
            guard case .friendList(let list) = reply.payload else {
                Issue.record("not a friend list: \(reply)")
                return
            }
            #expect(list.friends.map(\.user.username) == ["bob"])
            try await connection.channel.close()
            try await connection.waitUntil { fixture.server.connectionCount == 0 }
        }
    }

    @Test func aFrameBeforeHelloIsRefusedAndTheConnectionClosed() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            try await connection.send(ConnectionFixture.request(.listFriends(WireListFriends()), requestID: 7))
            let reply = try await connection.next()
            #expect(reply.requestID == 7)
            #expect(reply.errorCode == .helloRequired)
            try await connection.waitUntilClosed()
        }
    }

    @Test func aWrongTokenIsRefusedAndNothingBehindItIsServed() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            try await connection.send([
                ConnectionFixture.hello(token: "not-a-token"),
                ConnectionFixture.request(.listFriends(WireListFriends()), requestID: 2),
            ])
            #expect(try await connection.next().errorCode == .invalidToken)
            try await connection.waitUntilClosed()
            #expect(try await connection.hasNothingMore())
            #expect(fixture.server.connectionCount == 0)
        }
    }

    /// More messages in one burst than the connection may have in flight: the handler waits for
    /// slots instead of reading on, and every message is acknowledged, in the order sent.
    @Test func pipelinedMessagesPastTheInFlightLimitAreAllAckedInOrder() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.hello(fixture)
            let count = ProtocolLimits.maxMessagesInFlight + 44
            let ids = (0..<count).map { UInt64(100 + $0) }
            try await connection.send(ids.map { ConnectionFixture.message(to: fixture.bob, "m\($0)", requestID: $0) })
            try await connection.askForRead()
            var acked: [UInt64] = []
            var sequence: [UInt64] = []
            for _ in ids {
                let reply = try await connection.next()
                guard case .messageAck(let ack) = reply.payload else {
                    Issue.record("not an ack: \(reply)")
                    return
                }
                acked.append(reply.requestID)
                sequence.append(ack.message.seq)
            }
            #expect(acked == ids)
            #expect(sequence == sequence.sorted() && Set(sequence).count == count)
            // The read asked for while the burst was being served was passed on, once.
            try await connection.waitUntil { connection.probe.reads == 1 }
        }
    }

    /// A client whose replies are not being written (its socket is full) is not read from: the
    /// next request waits and no read reaches the socket until the reply is written.
    @Test func aClientThatStopsReadingStopsBeingRead() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.hello(fixture)
            connection.probe.holdWrites()
            try await connection.send([
                ConnectionFixture.request(.listFriends(WireListFriends()), requestID: 2),
                ConnectionFixture.request(.listFriends(WireListFriends()), requestID: 3),
            ])
            try await connection.askForRead()
            try await connection.waitUntil { connection.probe.heldWrites == 1 }
            // Long enough for request 3 to have been served, had the handler gone on.
            try await Task.sleep(for: .milliseconds(200))
            #expect(connection.probe.heldWrites == 1)
            #expect(connection.probe.reads == 0)
            try await connection.releaseWrites()
            #expect(try await connection.next().requestID == 2)
            #expect(try await connection.next().requestID == 3)
            try await connection.waitUntil { connection.probe.reads == 1 }
        }
    }

    /// Once its write queue is over the high-water mark, a connection is closed instead of
    /// queueing more: what it misses is in its user's update log.
    @Test func aConnectionWhoseWriteQueueIsFullIsClosed() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.hello(fixture)
            connection.channel.isWritable = false
            try await connection.send(ConnectionFixture.message(to: fixture.bob, "hi", requestID: 2))
            try await connection.waitUntilClosed()
            try await connection.waitUntil { fixture.server.connectionCount == 0 }
        }
    }

    /// Shutdown: what was read is served, Goodbye comes after the ack of every message read, and
    /// then the connection closes.
    @Test func goodbyeComesAfterTheAcksOfEveryMessageRead() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.hello(fixture)
            let ids = (0..<50).map { UInt64(10 + $0) }
            try await connection.send(ids.map { ConnectionFixture.message(to: fixture.bob, "m\($0)", requestID: $0) })
            connection.channel.triggerUserOutboundEvent(ConnectionHandler.ShutDown(), promise: nil)
            var acked: [UInt64] = []
            while true {
                let reply = try await connection.next()
                if case .goodbye = reply.payload { break }
                guard case .messageAck = reply.payload else {
                    Issue.record("not an ack: \(reply)")
                    return
                }
                acked.append(reply.requestID)
            }
            #expect(acked == ids)
            try await connection.waitUntilClosed()
            #expect(try await connection.hasNothingMore())
        }
    }

    @Test func aConnectionThatNeverSaysHelloIsClosedAtTheHelloTimeout() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            let timeout = TimeAmount.seconds(ProtocolLimits.helloTimeoutSeconds)
            await connection.channel.testingEventLoop.advanceTime(by: timeout - .milliseconds(1))
            #expect(connection.channel.isActive)
            await connection.channel.testingEventLoop.advanceTime(by: .milliseconds(1))
            try await connection.waitUntilClosed()
            try await connection.waitUntil { fixture.server.connectionCount == 0 }
        }
    }

    @Test func aSilentSessionIsToldWhyAndClosedAtTheIdleTimeout() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.hello(fixture)
            let timeout = TimeAmount.seconds(ProtocolLimits.idleTimeoutSeconds)
            await connection.channel.testingEventLoop.advanceTime(by: timeout - .seconds(1))
            #expect(connection.channel.isActive)
            await connection.channel.testingEventLoop.advanceTime(by: .seconds(1))
            #expect(try await connection.next().errorCode == .idleTimeout)
            try await connection.waitUntilClosed()
        }
    }

    /// An oversized frame ends the connection, but the requests read before it are answered.
    @Test func anOversizedFrameIsRefusedAfterTheRequestsBeforeIt() async throws {
        try await ConnectionFixture.with { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.hello(fixture)
            var bytes = try ConnectionFixture.request(.listFriends(WireListFriends()), requestID: 2).framed()
            bytes.writeInteger(UInt32(ProtocolLimits.maxFrameBytes + 1))
            bytes.writeBytes([0, 0, 0, 0])
            try await connection.channel.writeInbound(bytes)
            #expect(try await connection.next().requestID == 2)
            #expect(try await connection.next().errorCode == .frameTooLarge)
            try await connection.waitUntilClosed()
        }
    }
}

extension WireEnvelope {
    /// The error code this envelope carries, if it is an error.
    var errorCode: ErrorCode? {
        guard case .error(let error) = payload else { return nil }
        return ErrorCode(rawValue: error.code)
    }
}
