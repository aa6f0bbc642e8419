import ChatProtocol
import ChatServices
import Testing

@testable import ChatServer

/// The chat server over the in-memory doubles of every store (`Doubles/`): built without
/// `ServerStack` or SQLite, it signs two people in, carries a message from one to the other,
/// and serves it back as history. What a split deployment relies on: the server sees only the
/// store protocols.
@Suite struct ChatServerOnMemoryStoresTests {
    @Test func aMessageTravelsBetweenTwoSessionsOverMemoryStores() async throws {
        try await ConnectionFixture.with(inMemory: true) { fixture in
            #expect(fixture.database == nil)
            let alice = try await fixture.connect()
            let bob = try await fixture.connect()
            _ = try await alice.hello(fixture)
            #expect(try await bob.hello(fixture, token: fixture.bobToken).me.username == "bob")
            try await alice.send(ConnectionFixture.message(to: fixture.bob, "你好 🙂", requestID: 2))
            // Bob coming online was pushed to Alice first.
            guard case .messageAck(let ack) = try await alice.reply(to: 2).payload else {
                Issue.record("no ack")
                return
            }
            #expect(ack.message.seq == 1)
            // Bob hears of it: Alice's presence came first, then the message.
            var pushed: WireMessagePush?
            for _ in 0..<3 where pushed == nil {
                if case .messagePush(let push) = try await bob.next().payload { pushed = push }
            }
            guard let message = pushed?.message else {
                Issue.record("no message pushed to bob")
                return
            }
            #expect(message.text == "你好 🙂")
            var history = WireFetchHistory()
            history.peerID = fixture.alice
            try await bob.send(ConnectionFixture.request(.fetchHistory(history), requestID: 3))
            guard case .messageList(let list) = try await bob.reply(to: 3).payload else {
                Issue.record("no history")
                return
            }
            #expect(list.messages.map(\.text) == ["你好 🙂"])
        }
    }
}
