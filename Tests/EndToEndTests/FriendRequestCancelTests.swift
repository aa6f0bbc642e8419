import ChatClient
import ChatProtocol
import ChatServices
import Testing

/// A friend request its sender withdraws is gone for both: the recipient no longer sees it and
/// cannot accept it.
@Suite struct FriendRequestCancelTests {
    @Test func aWithdrawnRequestIsGoneForTheRecipient() async throws {
        try await withTestStack { stack in
            let gina = try await stack.user("gina")
            let hank = try await stack.user("hank")
            let ginaID = await gina.state.me.id
            let hankID = await hank.state.me.id
            try await stack.request(from: gina, to: hank, message: "hi hank")

            // Only its sender can withdraw it: hank has sent gina nothing, so his withdrawal
            // changes nothing (and answers like any other: an answer must not tell of a block).
            try await hank.cancelFriendRequest(to: ginaID)
            #expect(await hank.state.incomingRequests.contains { $0.from.id == ginaID })

            try await gina.cancelFriendRequest(to: hankID)
            #expect(await gina.state.outgoingRequests.isEmpty)
            // Hank's list refreshes on the push, and the server lists nothing either.
            try await eventually(30, "hank's list without gina's request") {
                await hank.state.incomingRequests.isEmpty
            }
            let raw = try await RawClient.connect(stack: stack, token: hank.credentials.token)
            guard
                case .friendRequestList(let list) = try await raw.request(.listFriendRequests(WireListFriendRequests()))
            else {
                Issue.record("no request list")
                return
            }
            #expect(list.incoming.isEmpty)
            await raw.close()

            // Nothing left to accept, nor to withdraw again.
            let accepted = await #expect(throws: ChatError.self) {
                try await hank.respondToFriendRequest(from: ginaID, accept: true)
            }
            #expect(accepted?.code == .noSuchRequest)
            #expect(await hank.state.friends[ginaID] == nil)
            try await gina.cancelFriendRequest(to: hankID)
            #expect(await gina.state.outgoingRequests.isEmpty)
        }
    }

    /// A request the recipient's block took away is withdrawn like any other: the sender is not
    /// told they were blocked.
    @Test func withdrawingAfterABlockAnswersAsUsual() async throws {
        try await withTestStack { stack in
            let ivy = try await stack.user("ivy")
            let jack = try await stack.user("jack")
            let ivyID = await ivy.state.me.id
            let jackID = await jack.state.me.id
            try await stack.request(from: ivy, to: jack, message: "hello")
            try await jack.setBlocked(ivyID, true)
            try await ivy.cancelFriendRequest(to: jackID)
            try await eventually { await ivy.state.outgoingRequests.isEmpty }
        }
    }
}
