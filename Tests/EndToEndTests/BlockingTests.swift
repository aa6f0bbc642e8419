import ChatClient
import ChatProtocol
import ChatServices
import Testing

/// A block is not announced to the blocked, and nothing gets past it.
@Suite struct BlockingTests {
    /// A request to someone who blocked you answers like any other; they never see it.
    @Test func aRequestToSomeoneWhoBlockedYouLooksSentAndIsNeverShown() async throws {
        try await withTestStack { stack in
            let carol = try await stack.user("carol")
            let dave = try await stack.user("dave")
            let carolID = await carol.state.me.id
            let daveID = await dave.state.me.id
            try await dave.setBlocked(carolID, true)
            try await carol.sendFriendRequest(to: daveID, message: "hi, it's carol")
            try await eventually { await carol.state.outgoingRequests.contains { $0.to.id == daveID } }
            let raw = try await RawClient.connect(stack: stack, token: dave.credentials.token)
            guard
                case .friendRequestList(let list) = try await raw.request(.listFriendRequests(WireListFriendRequests()))
            else {
                Issue.record("no request list")
                return
            }
            #expect(list.incoming.isEmpty, "dave sees a request from someone he blocked")
            #expect(await dave.state.incomingRequests.isEmpty)
            await raw.close()
        }
    }

    /// A request whose sender has since blocked its recipient cannot be accepted.
    @Test func aRequestCannotBeAcceptedOnceEitherSideBlockedTheOther() async throws {
        try await withTestStack { stack in
            let erin = try await stack.user("erin")
            let frank = try await stack.user("frank")
            let erinID = await erin.state.me.id
            let frankID = await frank.state.me.id
            try await stack.request(from: erin, to: frank, message: "hello")
            try await erin.setBlocked(frankID, true)
            let refused = await #expect(throws: ChatError.self) {
                try await frank.respondToFriendRequest(from: erinID, accept: true)
            }
            #expect(refused?.code == .noSuchRequest)
            #expect(await frank.state.friends[erinID] == nil)
            #expect(await erin.state.friends[frankID] == nil)
        }
    }
}
