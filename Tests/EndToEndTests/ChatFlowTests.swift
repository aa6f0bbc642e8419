import ChatClient
import ChatProtocol
import Foundation
import Testing

/// Two people sign up, find each other, become friends and chat: the whole path over real HTTP
/// and TCP on loopback, real SQLite on both sides.
@Suite struct ChatFlowTests {
    @Test(arguments: Deployment.allCases) func twoPeopleSignUpBefriendAndChat(_ deployment: Deployment) async throws {
        try await withTestStack(deployment) { stack in
            try await stack.register("alice")
            try await stack.register("bob")
            let alice = try await stack.signIn("alice")
            // Bob signs in by email.
            let bob = try await stack.signIn("bob@example.com", cacheName: "bob")
            let aliceID = await alice.state.me.id
            let bobID = await bob.state.me.id
            #expect(await bob.state.me.username == "bob")

            // Alice finds Bob by a username prefix; by email only once Bob allows it.
            let byName = try await alice.searchUsers("bo")
            #expect(byName.map(\.username) == ["bob"])
            #expect(try await alice.searchUsers("BOB@example.com").isEmpty, "found by email without asking")
            #expect(await bob.state.findableByEmail == false)
            try await bob.setFindableByEmail(true)
            #expect(await bob.state.findableByEmail)
            let byEmail = try await alice.searchUsers("BOB@example.com")
            #expect(byEmail.map(\.id) == [bobID])
            #expect(byEmail.first?.email == nil, "search must not reveal other people's email addresses")

            // Request with a greeting; Bob sees it as incoming, Alice as outgoing.
            try await alice.sendFriendRequest(to: bobID, message: "我是爱丽丝 👋")
            try await eventually { await bob.state.incomingRequests.first?.message == "我是爱丽丝 👋" }
            #expect(await alice.state.outgoingRequests.map(\.to.id) == [bobID])

            // Bob accepts; both see each other as friends, online.
            try await bob.respondToFriendRequest(from: aliceID, accept: true)
            try await eventually { await alice.state.friends[bobID]?.online == true }
            try await eventually { await bob.state.friends[aliceID]?.online == true }
            #expect(await alice.state.outgoingRequests.isEmpty)
            #expect(await bob.state.incomingRequests.isEmpty)

            // Chat both ways, in Chinese with emoji.
            let lines = ["你好，鲍勃！🙂", "你好爱丽丝，今天怎么样？🍵", "很好，谢谢 👍🏽 家族: 👨‍👩‍👧"]
            try await alice.send(lines[0], to: bobID)
            try await eventually { await bob.state.conversations[aliceID]?.lastMessage?.text == lines[0] }
            try await bob.send(lines[1], to: aliceID)
            try await eventually { await alice.state.conversations[bobID]?.lastMessage?.text == lines[1] }
            try await alice.send(lines[2], to: bobID)
            try await eventually { await bob.state.conversations[aliceID]?.lastMessage?.text == lines[2] }
            // The server pushes to Bob before it acks Alice: wait for her own copy too.
            try await eventually { await alice.state.conversations[bobID]?.lastMessage?.text == lines[2] }

            // Sequence numbers follow the conversation, and both sides' history agrees.
            let aliceHistory = try await alice.history(with: bobID)
            let bobHistory = try await bob.history(with: aliceID)
            #expect(aliceHistory.map(\.text) == lines.reversed())
            #expect(bobHistory.map(\.text) == lines.reversed())
            #expect(bobHistory.map(\.seq) == [3, 2, 1])

            // Unread: Bob has not read Alice's two messages (his own reply counts as having read the first).
            #expect(await bob.state.conversations[aliceID]?.unread == 1)
            #expect(await alice.state.conversations[bobID]?.unread == 0)
            try await bob.markRead(aliceID)
            #expect(await bob.state.totalUnread == 0)

            // The outbox empties once the server acknowledged everything.
            try await eventually { await alice.state.outbox.isEmpty }

            // The message cache has the text, searchable in Chinese (3+ characters and shorter).
            try await eventually { (try? await alice.search("今天怎么").count) == 1 }
            #expect(try await alice.search("谢谢").map(\.text) == [lines[2]])

            // Presence: Bob leaves, Alice sees him offline; he comes back, she sees him online.
            await bob.stop()
            try await eventually { await alice.state.friends[bobID]?.online == false }
            await bob.start()
            try await eventually { await alice.state.friends[bobID]?.online == true }

            await alice.stop()
            await bob.stop()
        }
    }

    @Test(arguments: Deployment.allCases) func historyPagesBySequence(_ deployment: Deployment) async throws {
        try await withTestStack(deployment) { stack in
            let (alice, bob, aliceID, bobID) = try await stack.friends()

            for i in 1...120 {
                try await alice.send("message \(i)", to: bobID)
            }
            try await eventually { await alice.state.outbox.isEmpty }
            try await eventually { await bob.state.conversations[aliceID]?.lastSeq == 120 }
            #expect(await bob.state.conversations[aliceID]?.unread == 120)

            // A fresh device of Bob's (empty cache) pages the history from the server.
            let fresh = try await stack.signIn("bob", cacheName: "bob-fresh")
            var before: UInt64 = 0
            var seen: [UInt64] = []
            while true {
                let page = try await fresh.history(with: aliceID, beforeSeq: before, limit: 50)
                if page.isEmpty { break }
                seen += page.map(\.seq)
                before = page.last!.seq
            }
            #expect(seen == Array((1...120).reversed()))
            #expect(await fresh.state.conversations[aliceID]?.unread == 120)

            // Reading on one device clears the count on the other.
            try await fresh.markRead(aliceID)
            try await eventually { await bob.state.conversations[aliceID]?.unread == 0 }

            await alice.stop()
            await bob.stop()
            await fresh.stop()
        }
    }

    @Test(arguments: Deployment.allCases) func rejectRemoveBlockAndUnblock(_ deployment: Deployment) async throws {
        try await withTestStack(deployment) { stack in
            let alice = try await stack.user("alice")
            let bob = try await stack.user("bob")
            let carol = try await stack.user("carol")
            let aliceID = await alice.state.me.id
            let bobID = await bob.state.me.id
            let carolID = await carol.state.me.id

            // Carol is not Alice's friend: she cannot message her.
            let outcome = await carol.sendAndWaitForError("hello stranger", to: aliceID)
            #expect(outcome?.code == .notFriends)

            // Alice rejects Carol's request.
            try await carol.sendFriendRequest(to: aliceID, message: "let me in")
            try await eventually { await alice.state.incomingRequests.count == 1 }
            try await alice.respondToFriendRequest(from: carolID, accept: false)
            try await eventually { await carol.state.outgoingRequests.isEmpty }
            #expect(await alice.state.friends[carolID] == nil)

            // Answering a request that does not exist (or is addressed to someone else) fails.
            await #expect(throws: ChatError.self) { try await bob.respondToFriendRequest(from: carolID, accept: true) }

            // Alice and Bob become friends; Alice blocks Bob: his messages are refused, hers too.
            try await stack.befriend(alice, bob)
            try await alice.setBlocked(bobID, true)
            #expect(await alice.state.friends[bobID]?.blockedByMe == true)
            #expect(await bob.sendAndWaitForError("are you there?", to: aliceID)?.code == .blocked)
            #expect(await alice.sendAndWaitForError("blocked both ways", to: bobID)?.code == .blocked)

            // Unblocked, the conversation works again.
            try await alice.setBlocked(bobID, false)
            try await bob.send("back again", to: aliceID)
            try await eventually { await alice.state.conversations[bobID]?.lastMessage?.text == "back again" }

            // A remark shows instead of the username.
            try await alice.setRemark("Bobby 🐻", for: bobID)
            #expect(await alice.state.friends[bobID]?.displayName == "Bobby 🐻")

            // Bob removes Alice: both lists lose the other, and messages are refused again.
            try await bob.removeFriend(aliceID)
            try await eventually { await alice.state.friends[bobID] == nil }
            #expect(await alice.sendAndWaitForError("still there?", to: bobID)?.code == .notFriends)

            // Asking back when the other asked first makes friends at once.
            try await carol.sendFriendRequest(to: bobID, message: "hi bob")
            try await bob.sendFriendRequest(to: carolID, message: "hi carol")
            try await eventually { await carol.state.friends[bobID] != nil }

            for session in [alice, bob, carol] { await session.stop() }
        }
    }
}

extension ChatSession {
    /// Sends and waits for the server to refuse the message (the outbox reports a refusal with
    /// the text given back). Returns nil if it was accepted instead.
    func sendAndWaitForError(_ text: String, to peer: UserID) async -> ChatError? {
        let events = self.events()
        guard let queued = try? self.send(text, to: peer) else { return nil }
        return try? await withTimeout {
            for await event in events {
                if case .messageRefused(let refusedPeer, let refusedText, let error) = event {
                    #expect(refusedPeer == .direct(peer) && refusedText == text)
                    return error
                }
                if case .message(let message, _) = event, message.clientMessageID == queued.clientMessageID {
                    return nil
                }
            }
            return nil
        }
    }
}
