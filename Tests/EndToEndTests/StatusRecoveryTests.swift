import ChatClient
import ChatProtocol
import ChatServices
import Testing

/// A status service that loses track of a chat server (restarted, its Redis flushed, or it
/// dropped the server after a pause) gets it back from the server's next heartbeat, with the
/// connections open there: presence, load and push routing are right again on their own.
@Suite struct StatusRecoveryTests {
    @Test func aForgottenChatServerRegistersAgainWithItsConnections() async throws {
        try await withTestStack { stack in
            let (alice, bob, aliceID, bobID) = try await stack.friends()
            let status = stack.stack.status
            let id = try #require(await status.connectionCounts().keys.first)
            #expect(await status.onlineUsers(among: [aliceID, bobID]) == [aliceID, bobID])

            // The status service forgets the server and everyone on it.
            await status.unregisterChatServer(id: id)
            #expect(await status.onlineUsers(among: [aliceID, bobID]).isEmpty)
            #expect(status.chatServers(of: bobID).isEmpty)

            // Within a few heartbeats it is back, with both users, and messages are pushed again.
            try await eventually(10) { await status.onlineUsers(among: [aliceID, bobID]) == [aliceID, bobID] }
            #expect(await status.connectionCounts() == [id: 2])
            #expect(status.chatServers(of: bobID) == [id])
            try await alice.send("after the status service came back", to: bobID)
            try await eventually {
                await bob.state.conversations[aliceID]?.lastMessage?.text == "after the status service came back"
            }
            // And new sign-ins are assigned to it again.
            let carol = try await stack.user("carol")
            try await eventually { await status.connectionCounts() == [id: 3] }
            await carol.stop()
        }
    }
}
