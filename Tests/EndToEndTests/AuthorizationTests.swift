import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import StoreTestSupport
import Testing

/// Every operation acts as the connection's own user, whatever the fields say: nobody reads
/// another pair's history, messages a stranger or someone who blocked them, answers a request
/// meant for someone else, or passes for another user.
@Suite struct AuthorizationTests {
    /// alice–bob and bob–dave are friends with a message each way; carol knows nobody.
    struct World {
        let stack: TestStack
        let alice: ChatConnection, bob: ChatConnection, carol: ChatConnection, dave: ChatConnection
        let aliceID: UserID, bobID: UserID, carolID: UserID, daveID: UserID

        func close() async {
            for connection in [alice, bob, carol, dave] { await connection.close() }
        }
    }

    /// Runs `body` in a new world on its own stack; closes the connections and stops the stack
    /// afterwards, also when `body` throws.
    static func withWorld(_ body: (World) async throws -> Void) async throws {
        try await withTestStack { stack in
            let world = try await Self.world(on: stack)
            do {
                try await body(world)
            } catch {
                await world.close()
                throw error
            }
            await world.close()
        }
    }

    static func world(on stack: TestStack) async throws -> World {
        let sessions = try await ["alice", "bob", "carol", "dave"].asyncMap { try await stack.user($0) }
        try await stack.befriend(sessions[0], sessions[1])
        try await stack.befriend(sessions[1], sessions[3])
        var connections: [ChatConnection] = []
        for session in sessions {
            connections.append(try await RawClient.connect(stack: stack, token: session.credentials.token))
            await session.stop()
        }
        let ids = await sessions.asyncMap { await $0.state.me.id }
        let world = World(
            stack: stack,
            alice: connections[0],
            bob: connections[1],
            carol: connections[2],
            dave: connections[3],
            aliceID: ids[0],
            bobID: ids[1],
            carolID: ids[2],
            daveID: ids[3]
        )
        _ = try await send(world.alice, "alice to bob", to: world.bobID)
        _ = try await send(world.bob, "bob to dave: secret", to: world.daveID)
        _ = try await send(world.dave, "dave to bob: secret", to: world.bobID)
        return world
    }

    @discardableResult
    static func send(
        _ connection: ChatConnection,
        _ text: String,
        to peer: UserID,
        clientID: String = UUID().uuidString
    ) async throws -> WireMessageAck {
        var request = WireSendMessage()
        request.toUserID = peer
        request.clientMsgID = clientID
        request.text = text
        guard case .messageAck(let ack) = try await connection.request(.sendMessage(request)) else {
            throw ChatError(.internalError, "no ack")
        }
        return ack
    }

    static func refusal(_ body: () async throws -> Void) async -> ErrorCode? { await refusalCode(body) }

    @Test func nobodyReadsAnotherPairsHistory() async throws {
        try await Self.withWorld { w in
            // Asking for "history with dave" gives alice her own conversation with dave: empty.
            for (reader, peer) in [(w.alice, w.daveID), (w.carol, w.bobID), (w.carol, w.daveID)] {
                var fetch = WireFetchHistory()
                fetch.peerID = peer
                guard case .messageList(let list) = try await reader.request(.fetchHistory(fetch)) else {
                    Issue.record("no message list")
                    continue
                }
                #expect(list.messages.isEmpty, "\(list.messages.map(\.text))")
            }
            // The conversation list carries only alice's own, and catching up on it (after its
            // seq 0) only its messages.
            guard
                case .conversationList(let conversations) = try await w.alice.request(
                    .listConversations(WireListConversations())
                )
            else { throw ChatError(.internalError, "unexpected reply") }
            #expect(conversations.conversations.map(\.peerID) == [w.bobID])
            for peer in [w.bobID, w.carolID, w.daveID] {
                var catchUp = WireFetchHistory()
                catchUp.peerID = peer
                catchUp.afterSeq = 0
                guard case .messageList(let list) = try await w.alice.request(.fetchHistory(catchUp)) else {
                    throw ChatError(.internalError, "no message list")
                }
                #expect(list.messages.map(\.text) == (peer == w.bobID ? ["alice to bob"] : []))
            }
        }
    }

    @Test func nobodyMessagesAStrangerOrSomeoneWhoBlockedThem() async throws {
        try await Self.withWorld { w in
            #expect(await Self.refusal { try await Self.send(w.carol, "hello stranger", to: w.aliceID) } == .notFriends)
            #expect(await Self.refusal { try await Self.send(w.alice, "to dave", to: w.daveID) } == .notFriends)
            #expect(await Self.refusal { try await Self.send(w.alice, "to myself", to: w.aliceID) } == .notFriends)
            var block = WireSetBlocked()
            block.userID = w.bobID
            block.blocked = true
            _ = try await w.alice.request(.setBlocked(block))
            #expect(await Self.refusal { try await Self.send(w.bob, "let me in", to: w.aliceID) } == .blocked)
            #expect(
                await Self.refusal { try await Self.send(w.alice, "one-way?", to: w.bobID) } == .blocked,
                "a block works both ways"
            )
            // Nor can bob ask again: a blocked person's friend request is refused.
            var ask = WireSendFriendRequest()
            ask.toUserID = w.aliceID
            #expect(await Self.refusal { _ = try await w.bob.request(.sendFriendRequest(ask)) } == .alreadyFriends)
        }
    }

    @Test func nobodyAnswersARequestMeantForSomeoneElse() async throws {
        try await Self.withWorld { w in
            var ask = WireSendFriendRequest()
            ask.toUserID = w.daveID
            ask.message = "carol here"
            _ = try await w.carol.request(.sendFriendRequest(ask))
            // alice and bob try to accept carol's request to dave, as if it were theirs.
            for intruder in [w.alice, w.bob] {
                var accept = WireRespondFriendRequest()
                accept.fromUserID = w.carolID
                accept.accept = true
                #expect(
                    await Self.refusal { _ = try await intruder.request(.respondFriendRequest(accept)) }
                        == .noSuchRequest
                )
            }
            #expect(await Self.refusal { try await Self.send(w.carol, "am I in?", to: w.aliceID) } == .notFriends)
            // The request is still dave's to answer.
            guard
                case .friendRequestList(let requests) = try await w.dave.request(
                    .listFriendRequests(WireListFriendRequests())
                )
            else {
                throw ChatError(.internalError, "no request list")
            }
            #expect(requests.incoming.map(\.from.id) == [w.carolID])
        }
    }

    @Test func noFieldMakesAConnectionActAsAnotherUser() async throws {
        try await Self.withWorld { w in
            // Reusing bob's client message id does not return bob's message: ids are per sender.
            let bobsAck = try await Self.send(w.bob, "bob's own", to: w.aliceID, clientID: "shared-id")
            let alicesAck = try await Self.send(w.alice, "alice's own", to: w.bobID, clientID: "shared-id")
            #expect(!alicesAck.duplicate)
            #expect(alicesAck.message.senderID == w.aliceID)
            #expect(alicesAck.message.text == "alice's own")
            #expect(bobsAck.message.senderID == w.bobID)

            // Marking "dave's conversation" read touches only alice's own marks.
            var mark = WireMarkRead()
            mark.peerID = w.daveID
            mark.seq = 99
            _ = try await w.alice.request(.markRead(mark))
            guard
                case .conversationList(let bobs) = try await w.bob.request(.listConversations(WireListConversations()))
            else {
                throw ChatError(.internalError, "no list")
            }
            #expect(
                bobs.conversations.first { $0.peerID == w.daveID }?.unread == 1,
                "bob's unread from dave is untouched"
            )

            // Remarks, removals and blocks name the other person; they change only the caller's side.
            var remark = WireSetRemark()
            remark.userID = w.daveID
            remark.remark = "hijacked"
            #expect(await Self.refusal { _ = try await w.alice.request(.setRemark(remark)) } == .notFriends)
            var remove = WireRemoveFriend()
            remove.userID = w.daveID
            #expect(await Self.refusal { _ = try await w.alice.request(.removeFriend(remove)) } == .notFriends)
            guard case .friendList(let daves) = try await w.dave.request(.listFriends(WireListFriends())) else {
                throw ChatError(.internalError, "no list")
            }
            #expect(daves.friends.map(\.user.id) == [w.bobID])
            #expect(daves.friends.first?.remark == "")
            var blockSelf = WireSetBlocked()
            blockSelf.userID = w.aliceID
            blockSelf.blocked = true
            #expect(await Self.refusal { _ = try await w.alice.request(.setBlocked(blockSelf)) } == .notFound)

            // Search shows people, never their email addresses (dave lets himself be found by it).
            var findable = WireSetFindableByEmail()
            findable.findable = true
            _ = try await w.dave.request(.setFindableByEmail(findable))
            var search = WireSearchUsers()
            search.query = "dave@example.com"
            guard case .userList(let found) = try await w.carol.request(.searchUsers(search)) else {
                throw ChatError(.internalError, "no list")
            }
            #expect(found.users.map(\.username) == ["dave"])
            #expect(found.users.allSatisfy { $0.email.isEmpty })

            // Another device's Hello with alice's token is alice, whatever device id it claims.
            var hello = WireHello()
            hello.protocolVersion = ProtocolLimits.protocolVersion
            hello.token = try await w.stack.gate.login(account: "alice", password: "correct horse").token
            hello.deviceID = "bob's phone"
            let other = try await ChatConnection.connect(
                host: "127.0.0.1",
                port: w.stack.chatPorts[0],
                logger: RawClient.quietLogger
            )
            guard case .helloOk(let ok) = try await other.request(.hello(hello)) else {
                throw ChatError(.internalError, "no hello")
            }
            #expect(ok.me.id == w.aliceID)
            await other.close()
        }
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
