import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Testing

/// What the friend graph, the conversation list and the update log do at their edges: requests
/// crossing at the same instant, a friend who blocks you, a day's storage used up, a device that
/// fell behind a compacted log, and lists longer than one page.
@Suite struct SocialGraphBoundsTests {
    /// Two people asking each other at once end as friends. Before the store decided this in one
    /// transaction, 4 of 30 pairs were left with two crossing requests and no friendship.
    @Test func requestsCrossingAtTheSameInstantMakeFriends() async throws {
        try await withTestStack { stack in
            let pairs = 100
            var people: [(id: UserID, connection: ChatConnection)] = []
            for index in 0..<(pairs * 2) {
                let name = "cross\(index)"
                let registered = try await stack.register(name)
                let token = try await stack.gate.login(account: name, password: "correct horse").token
                people.append((registered.userId, try await RawClient.connect(stack: stack, token: token)))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for pair in 0..<pairs {
                    let (a, b) = (people[pair * 2], people[pair * 2 + 1])
                    for (from, to) in [(a, b), (b, a)] {
                        group.addTask {
                            var request = WireSendFriendRequest()
                            request.toUserID = to.id
                            _ = try await from.connection.request(.sendFriendRequest(request))
                        }
                    }
                }
                try await group.waitForAll()
            }
            var friendless = 0
            for pair in 0..<pairs {
                let (a, b) = (people[pair * 2], people[pair * 2 + 1])
                guard case .friendList(let list) = try await a.connection.request(.listFriends(WireListFriends())),
                    case .friendRequestList(let requests) = try await a.connection.request(
                        .listFriendRequests(WireListFriendRequests())
                    )
                else { throw ChatError(.internalError, "no lists") }
                if !list.friends.contains(where: { $0.user.id == b.id }) { friendless += 1 }
                #expect(requests.incoming.isEmpty && requests.outgoing.isEmpty, "pair \(pair) kept a request")
            }
            #expect(friendless == 0, "\(friendless) of \(pairs) pairs asked each other and are not friends")
            for person in people { await person.connection.close() }
        }
    }

    /// Blocking a friend hides your presence from them: they see you offline at once, in their
    /// list too, and not coming back online until you unblock them.
    @Test func aFriendYouBlockedSeesYouOffline() async throws {
        try await withTestStack { stack in
            let (alice, bob, aliceID, bobID) = try await stack.friends()
            try await eventually { await bob.state.friends[aliceID]?.online == true }
            try await alice.setBlocked(bobID, true)
            try await eventually { await bob.state.friends[aliceID]?.online == false }
            // A fresh look at the list agrees, and alice coming back online is not announced.
            let raw = try await RawClient.connect(stack: stack, token: bob.credentials.token)
            guard case .friendList(let list) = try await raw.request(.listFriends(WireListFriends())) else {
                throw ChatError(.internalError, "no friend list")
            }
            #expect(list.friends.first { $0.user.id == aliceID }?.online == false)
            await alice.stop()
            await alice.start()
            try await withTimeout { await alice.waitUntilConnected() }
            try await Task.sleep(for: .milliseconds(300))
            #expect(await bob.state.friends[aliceID]?.online == false)
            try await alice.setBlocked(bobID, false)
            try await eventually { await bob.state.friends[aliceID]?.online == true }
            await raw.close()
        }
    }

    /// Each user's messages count against a daily storage quota; past it, a message is refused
    /// with `quota_exceeded` and says when there is room again, and the client drops it from the
    /// outbox with that reason instead of retrying forever.
    @Test func theDaysMessageStorageIsAQuota() async throws {
        var limits = TestStack.defaultLimits
        limits.messageKiBPerUser = RateLimit.per(86_400, 64)
        try await withTestStack(limits: limits) { stack in
            let (alice, _, _, bobID) = try await stack.friends()
            let raw = try await RawClient.connect(stack: stack, token: alice.credentials.token)
            let sixteenKiB = String(repeating: "x", count: 16 * 1024)
            for _ in 0..<4 { _ = try await AuthorizationTests.send(raw, sixteenKiB, to: bobID) }
            do {
                _ = try await AuthorizationTests.send(raw, sixteenKiB, to: bobID)
                Issue.record("a message past the quota was stored")
            } catch let error as ChatError {
                #expect(error.code == .quotaExceeded)
                #expect(error.message.contains("64 KiB a day"), "\(error.message)")
                // 16 KiB of a 64 KiB day takes six hours to come back.
                #expect(error.message.hasSuffix("in 6 h."), "\(error.message)")
            }
            // A short message still fits when the quota has room for it only after a while: it
            // waits too, and the session reports the refusal rather than resending forever.
            let events = await alice.events()
            _ = try await alice.send("one more", to: bobID)
            let refused = try await withTimeout {
                for await event in events {
                    if case .messageRefused(_, let text, let error) = event { return (text, error.code) }
                }
                return ("", ErrorCode.internalError)
            }
            #expect(refused.0 == "one more" && refused.1 == .quotaExceeded)
            #expect(await alice.state.outbox.isEmpty)
            await raw.close()
        }
    }

    /// The server keeps only the newest updates of each log. A device that was away for longer
    /// resyncs: its conversations come back whole (last message, unread count, mute) and its
    /// history fills from the server, instead of pulling forever at a gap that never closes.
    /// (Messages are not in the log: what fills alice's while she is away is her other device
    /// muting and unmuting.)
    @Test func aDeviceBehindTheCompactedLogResyncs() async throws {
        try await withTestStack(updateLogKeepingLast: 5) { stack in
            let (alice, bob, aliceID, bobID) = try await stack.friends()
            await alice.stop()
            for index in 1...20 { _ = try await bob.send("message \(index)", to: aliceID) }
            try await eventually { await bob.state.outbox.isEmpty }
            let laptop = try await RawClient.connect(stack: stack, token: alice.credentials.token)
            var mute = WireSetMuted()
            mute.peerID = bobID
            for index in 1...21 {
                mute.muted = index % 2 == 1
                _ = try await laptop.request(.setMuted(mute))
            }
            await laptop.close()
            #expect(await stack.stack.updateLogCompactor.compactNow() > 0)
            await alice.start()
            try await withTimeout { await alice.waitUntilConnected() }
            let conversation = try #require(await alice.state.conversations[bobID])
            #expect(conversation.lastSeq == 20)
            #expect(conversation.lastMessage?.text == "message 20")
            #expect(conversation.unread == 20)
            #expect(conversation.muted)
            let history = try await alice.history(with: bobID, limit: 50)
            #expect(history.map(\.text) == (1...20).reversed().map { "message \($0)" })
            // And it is caught up for good: the next message arrives as a push, as usual.
            _ = try await bob.send("after the resync", to: aliceID)
            try await eventually { await alice.state.conversations[bobID]?.lastMessage?.text == "after the resync" }
        }
    }

    /// The conversation list comes in pages by peer id, so however many conversations a person
    /// has, each reply stays small.
    @Test func conversationsComeInPages() async throws {
        try await withTestStack { stack in
            let alice = try await stack.user("alice")
            var peers: [UserID] = []
            for name in ["bob", "carol", "dave"] {
                let friend = try await stack.user(name)
                try await stack.befriend(alice, friend)
                let id = await friend.state.me.id
                _ = try await alice.send("hi \(name)", to: id)
                peers.append(id)
            }
            try await eventually { await alice.state.outbox.isEmpty }
            let raw = try await RawClient.connect(stack: stack, token: alice.credentials.token)
            var request = WireListConversations()
            request.limit = 2
            guard case .conversationList(let first) = try await raw.request(.listConversations(request)) else {
                throw ChatError(.internalError, "no page")
            }
            #expect(first.conversations.map(\.peerID) == Array(peers.sorted().prefix(2)))
            #expect(first.moreAvailable)
            request.afterPeerID = first.conversations.last?.peerID ?? 0
            guard case .conversationList(let second) = try await raw.request(.listConversations(request)) else {
                throw ChatError(.internalError, "no page")
            }
            #expect(second.conversations.map(\.peerID) == [peers.sorted()[2]])
            #expect(!second.moreAvailable)
            // The client read every page: all three are in its list.
            #expect(Set(await alice.state.conversations.keys) == Set(peers))
            await raw.close()
        }
    }
}
