import ChatProtocol
import ChatServices
import NIOCore
import Synchronization
import Testing

@testable import ChatServer

/// What the chat server asks of its `PushRouter`, seen through a double that records it: the
/// seam a split stack routes through (gRPC between chat nodes) instead of the in-process router.
@Suite struct PushRoutingTests {
    final class RecordingPushRouter: PushRouter {
        let pushes = Mutex<[(user: UserID, except: ConnectionID?)]>([])
        let attached = Mutex<[String]>([])

        func push(_ frame: ByteBuffer, to user: UserID, except connection: ConnectionID?) {
            pushes.withLock { $0.append((user, connection)) }
        }

        func attach(chatServerID: String, receiver: any PushReceiver) {
            attached.withLock { $0.append(chatServerID) }
        }

        func detach(chatServerID: String) {}
    }

    /// A message is pushed to the recipient, and to the sender's other devices but not the one
    /// that sent it, named by a `ConnectionID` value that can cross a process boundary.
    @Test func aMessageIsPushedToTheRecipientAndTheSendersOtherDevices() async throws {
        let router = RecordingPushRouter()
        try await ConnectionFixture.with(router: router) { fixture in
            let connection = try await fixture.connect()
            _ = try await connection.hello(fixture)
            // Alice coming online was pushed to her friends; what follows is the message.
            #expect(router.pushes.withLock { $0.map(\.user) } == [fixture.bob])
            router.pushes.withLock { $0 = [] }
            try await connection.send(ConnectionFixture.message(to: fixture.bob, "你好 🙂", requestID: 2))
            guard case .messageAck = try await connection.next().payload else {
                Issue.record("no ack")
                return
            }
            let pushes = router.pushes.withLock { $0 }
            #expect(pushes.map(\.user) == [fixture.bob, fixture.alice])
            #expect(pushes[0].except == nil)
            #expect(pushes[1].except == ConnectionID(chatServerID: "chat-test", number: 1))
        }
    }
}
