import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import StoreTestSupport
import Testing

/// Groups over real connections to a real stack: who may do what (each refusal with its code and
/// nothing changed), what each member sees of the history, and how messages reach them.
@Suite struct GroupChatTests {
    /// alice is friends with bob, carol and dave; bob with dave; eve knows nobody. alice owns
    /// "team" with bob and carol.
    struct World {
        let stack: TestStack
        let alice: ChatConnection, bob: ChatConnection, carol: ChatConnection, dave: ChatConnection
        let eve: ChatConnection
        let aliceID: UserID, bobID: UserID, carolID: UserID, daveID: UserID, eveID: UserID
        let group: GroupID

        func close() async {
            for connection in [alice, bob, carol, dave, eve] { await connection.close() }
        }
    }

    /// In a cluster the five are spread over its chat nodes, so a group's pushes cross nodes.
    static func withWorld(_ deployment: Deployment = .embedded, _ body: (World) async throws -> Void) async throws {
        try await withTestStack(deployment) { stack in
            let sessions = try await ["alice", "bob", "carol", "dave", "eve"].asyncMap { try await stack.user($0) }
            for friend in sessions[1...3] { try await stack.befriend(sessions[0], friend) }
            try await stack.befriend(sessions[1], sessions[3])
            var connections: [ChatConnection] = []
            for (index, session) in sessions.enumerated() {
                let port = stack.chatPorts[index % stack.chatPorts.count]
                connections.append(try await RawClient.connect(token: session.credentials.token, port: port))
                await session.stop()
            }
            let ids = await sessions.asyncMap { await $0.state.me.id }
            let info = try await create(on: connections[0], "team", members: [ids[1], ids[2]])
            let world = World(
                stack: stack,
                alice: connections[0],
                bob: connections[1],
                carol: connections[2],
                dave: connections[3],
                eve: connections[4],
                aliceID: ids[0],
                bobID: ids[1],
                carolID: ids[2],
                daveID: ids[3],
                eveID: ids[4],
                group: info.group.id
            )
            do {
                try await body(world)
            } catch {
                await world.close()
                throw error
            }
            await world.close()
        }
    }

    // MARK: Requests

    static func create(on connection: ChatConnection, _ name: String, members: [UserID]) async throws -> WireGroupInfo {
        var request = WireCreateGroup()
        request.name = name
        request.memberIds = members
        guard case .groupInfo(let info) = try await connection.request(.createGroup(request)) else {
            throw ChatError(.internalError, "no group info")
        }
        return info
    }

    @discardableResult
    static func say(
        _ connection: ChatConnection,
        _ text: String,
        in group: GroupID,
        mentions: [UserID] = [],
        all: Bool = false,
        replyTo: UInt64 = 0
    ) async throws -> WireChatMessage {
        var request = WireSendMessage()
        request.groupID = group
        request.clientMsgID = UUID().uuidString
        request.text = text
        request.mentions = mentions
        request.mentionsAll = all
        request.replyToSeq = replyTo
        guard case .messageAck(let ack) = try await connection.request(.sendMessage(request)) else {
            throw ChatError(.internalError, "no ack")
        }
        return ack.message
    }

    static func history(
        _ connection: ChatConnection,
        of group: GroupID,
        after: UInt64 = 0
    ) async throws
        -> [WireChatMessage]
    {
        var fetch = WireFetchHistory()
        fetch.groupID = group
        // Oldest first after `after` (all that is visible, for 0), as a device catches up.
        fetch.afterSeq = after
        fetch.limit = 200
        guard case .messageList(let list) = try await connection.request(.fetchHistory(fetch)) else {
            throw ChatError(.internalError, "no history")
        }
        return list.messages
    }

    static func groups(_ connection: ChatConnection) async throws -> [WireGroupConversation] {
        guard case .groupList(let list) = try await connection.request(.listGroups(WireListGroups())) else {
            throw ChatError(.internalError, "no group list")
        }
        return list.groups
    }

    static func members(_ connection: ChatConnection, of group: GroupID) async throws -> [UserID] {
        var get = WireGetGroup()
        get.groupID = group
        guard case .groupInfo(let info) = try await connection.request(.getGroup(get)) else {
            throw ChatError(.internalError, "no group info")
        }
        return info.members.map(\.user.id)
    }

    static func edit(_ connection: ChatConnection, _ group: GroupID, _ change: WireEditGroup.OneOf_Change) async throws
    {
        var edit = WireEditGroup()
        edit.groupID = group
        edit.change = change
        _ = try await connection.request(.editGroup(edit))
    }

    static func invite(_ connection: ChatConnection, _ users: [UserID], to group: GroupID) async throws {
        var invite = WireInviteToGroup()
        invite.groupID = group
        invite.userIds = users
        _ = try await connection.request(.inviteToGroup(invite))
    }

    static func remove(_ connection: ChatConnection, _ user: UserID, from group: GroupID) async throws {
        var remove = WireRemoveGroupMember()
        remove.groupID = group
        remove.userID = user
        _ = try await connection.request(.removeGroupMember(remove))
    }

    static func leave(_ connection: ChatConnection, _ group: GroupID) async throws {
        var leave = WireLeaveGroup()
        leave.groupID = group
        _ = try await connection.request(.leaveGroup(leave))
    }

    static func refusal(_ body: () async throws -> Void) async -> ErrorCode? {
        await AuthorizationTests.refusal(body)
    }

    static func texts(_ messages: [WireChatMessage]) -> [String] { messages.map(\.text) }

    // MARK: Creating

    @Test func aGroupIsMadeOfTheOwnersFriendsAndStartsWithALine() async throws {
        try await Self.withWorld { w in
            #expect(try await Self.members(w.bob, of: w.group) == [w.aliceID, w.bobID, w.carolID])
            let lines = try await Self.history(w.carol, of: w.group)
            #expect(Self.texts(lines) == ["alice created the group \"team\" with bob, carol"])
            #expect(lines.first?.kind == .system)
            #expect(lines.first?.groupChange.kind == .created)
            let listed = try await Self.groups(w.bob)
            #expect(listed.map(\.group.name) == ["team"])
            #expect(listed.first?.group.memberCount == 3)
            #expect(listed.first?.member == true)

            // Strangers, too few, bad names: refused, and no group made.
            #expect(
                await Self.refusal { _ = try await Self.create(on: w.alice, "x", members: [w.bobID, w.eveID]) }
                    == .notFriends
            )
            #expect(
                await Self.refusal { _ = try await Self.create(on: w.alice, "x", members: [w.bobID]) } == .badRequest
            )
            #expect(
                await Self.refusal {
                    _ = try await Self.create(on: w.alice, "bad\u{7}name", members: [w.bobID, w.carolID])
                }
                    == .invalidText
            )
            #expect(
                await Self.refusal {
                    _ = try await Self.create(on: w.alice, "two\nlines", members: [w.bobID, w.carolID])
                }
                    == .invalidText
            )
            #expect(
                await Self.refusal {
                    _ = try await Self.create(on: w.alice, "tab\tname", members: [w.bobID, w.carolID])
                }
                    == .invalidText
            )
            #expect(
                await Self.refusal {
                    _ = try await Self.create(
                        on: w.alice,
                        String(repeating: "n", count: 97),
                        members: [w.bobID, w.carolID]
                    )
                } == .payloadTooLarge
            )
            #expect(
                await Self.refusal { _ = try await Self.create(on: w.alice, "   ", members: [w.bobID, w.carolID]) }
                    == .invalidText
            )
            #expect(try await Self.groups(w.alice).count == 1)
        }
    }

    // MARK: Who may do what

    @Test func onlyMembersReadSendAndAsk() async throws {
        try await Self.withWorld { w in
            try await Self.say(w.bob, "members only", in: w.group)
            #expect(await Self.refusal { try await Self.say(w.dave, "let me in", in: w.group) } == .notAMember)
            #expect(await Self.refusal { _ = try await Self.history(w.dave, of: w.group) } == .notAMember)
            #expect(await Self.refusal { _ = try await Self.members(w.eve, of: w.group) } == .notAMember)
            var mark = WireMarkRead()
            mark.groupID = w.group
            mark.seq = 2
            #expect(await Self.refusal { _ = try await w.dave.request(.markRead(mark)) } == .notAMember)
            var count = WireGetReadCount()
            count.groupID = w.group
            count.seq = 2
            #expect(await Self.refusal { _ = try await w.eve.request(.getReadCount(count)) } == .notAMember)
            #expect(await Self.refusal { try await Self.invite(w.dave, [w.bobID], to: w.group) } == .notAMember)
            #expect(try await Self.groups(w.dave).isEmpty)
            // A message names a friend or a group, not both.
            var both = WireSendMessage()
            both.groupID = w.group
            both.toUserID = w.bobID
            both.clientMsgID = "both"
            both.text = "?"
            #expect(await Self.refusal { _ = try await w.alice.request(.sendMessage(both)) } == .badRequest)
            #expect(Self.texts(try await Self.history(w.alice, of: w.group)).last == "members only")
        }
    }

    @Test func onlyTheOwnerRemovesRenamesAnnouncesAndHandsOver() async throws {
        try await Self.withWorld { w in
            #expect(await Self.refusal { try await Self.remove(w.bob, w.carolID, from: w.group) } == .notGroupOwner)
            #expect(await Self.refusal { try await Self.edit(w.bob, w.group, .name("mine")) } == .notGroupOwner)
            #expect(await Self.refusal { try await Self.edit(w.bob, w.group, .announcement("hi")) } == .notGroupOwner)
            #expect(await Self.refusal { try await Self.edit(w.bob, w.group, .newOwnerID(w.bobID)) } == .notGroupOwner)
            #expect(await Self.refusal { try await Self.edit(w.alice, w.group, .newOwnerID(w.daveID)) } == .notAMember)
            #expect(await Self.refusal { try await Self.edit(w.alice, w.group, .name("x\u{1b}[2J")) } == .invalidText)
            #expect(
                await Self.refusal {
                    try await Self.edit(w.alice, w.group, .announcement(String(repeating: "a", count: 2_049)))
                } == .payloadTooLarge
            )
            #expect(try await Self.groups(w.bob).first?.group.name == "team")

            try await Self.edit(w.alice, w.group, .name("crew"))
            try await Self.edit(w.alice, w.group, .announcement("standup at 10"))
            try await Self.remove(w.alice, w.carolID, from: w.group)
            try await Self.edit(w.alice, w.group, .newOwnerID(w.bobID))
            let group = try #require(try await Self.groups(w.bob).first?.group)
            #expect(group.name == "crew")
            #expect(group.announcement == "standup at 10")
            #expect(group.ownerID == w.bobID)
            #expect(group.memberCount == 2)
            #expect(
                Self.texts(try await Self.history(w.bob, of: w.group)).suffix(4) == [
                    "alice renamed the group to \"crew\"", "alice set the announcement: standup at 10",
                    "alice removed carol", "alice made bob the owner",
                ]
            )
            // The old owner is an ordinary member now.
            #expect(await Self.refusal { try await Self.edit(w.alice, w.group, .name("back")) } == .notGroupOwner)
        }
    }

    @Test func onlyFriendsAreInvitedAndNeverThroughABlock() async throws {
        try await Self.withWorld { w in
            #expect(await Self.refusal { try await Self.invite(w.alice, [w.eveID], to: w.group) } == .notFriends)
            // bob may invite his friend dave, whom carol does not know: a member invites their own friends.
            var block = WireSetBlocked()
            block.userID = w.daveID
            block.blocked = true
            _ = try await w.bob.request(.setBlocked(block))
            #expect(await Self.refusal { try await Self.invite(w.bob, [w.daveID], to: w.group) } == .blocked)
            block.blocked = false
            _ = try await w.bob.request(.setBlocked(block))
            try await Self.invite(w.bob, [w.daveID], to: w.group)
            #expect(try await Self.members(w.alice, of: w.group).contains(w.daveID))
            #expect(await Self.refusal { try await Self.invite(w.bob, [w.daveID], to: w.group) } == .badRequest)
        }
    }

    // MARK: What each member sees

    @Test func aNewMemberSeesFromJoiningAndOneWhoLeftNothingAfter() async throws {
        try await Self.withWorld { w in
            try await Self.say(w.alice, "before dave", in: w.group)
            try await Self.invite(w.alice, [w.daveID], to: w.group)
            try await Self.say(w.bob, "hi dave", in: w.group)
            #expect(Self.texts(try await Self.history(w.dave, of: w.group)) == ["alice invited dave", "hi dave"])
            // dave cannot reach back before he joined, by reply or read count either.
            #expect(await Self.refusal { try await Self.say(w.dave, "re", in: w.group, replyTo: 2) } == .noSuchMessage)

            try await Self.leave(w.carol, w.group)
            try await Self.say(w.alice, "after carol", in: w.group)
            let carols = Self.texts(try await Self.history(w.carol, of: w.group))
            #expect(carols.last == "carol left")
            #expect(!carols.contains("after carol"))
            #expect(await Self.refusal { try await Self.say(w.carol, "still here?", in: w.group) } == .notAMember)
            // Nor does she learn the group as it is now, or add lines to it by recalling.
            #expect(await Self.refusal { _ = try await Self.members(w.carol, of: w.group) } == .notAMember)
            var recall = WireRecallMessage()
            recall.groupID = w.group
            recall.seq = 1
            #expect(await Self.refusal { _ = try await w.carol.request(.recallMessage(recall)) } == .notAMember)
            let listed = try #require(try await Self.groups(w.carol).first)
            #expect(!listed.member)
            #expect(listed.lastMessage.text == "carol left")
            // carol was pushed the line, and nothing after it: bob hears "nor this" pushed (a
            // group's pushes go out in order), and carol's stream by then has no more.
            try await Self.say(w.bob, "nor this", in: w.group)
            for await push in w.alice.pushes {
                if case .messagePush(let group) = push.payload, group.message.text == "nor this" { break }
            }
            let seen = Locked<[String]>([])
            let carol = w.carol
            _ = try? await withTimeout(2) {
                for await push in carol.pushes {
                    if case .messagePush(let group) = push.payload { seen.withLock { $0.append(group.message.text) } }
                }
            }
            #expect(seen.value.contains("carol left"))
            #expect(!seen.value.contains("after carol"))
            #expect(!seen.value.contains("nor this"))
        }
    }

    // MARK: Delivery

    @Test(arguments: Deployment.allCases)
    func aMessageIsPushedToEveryMemberOnlineAndCaughtUpByPosition(_ deployment: Deployment) async throws {
        try await Self.withWorld(deployment) { w in
            await w.carol.close()
            let sent = try await Self.say(w.alice, "hello team", in: w.group)
            var pushed: WireChatMessage?
            for await push in w.bob.pushes {
                if case .messagePush(let group) = push.payload, group.message.text == "hello team" {
                    pushed = group.message
                    break
                }
            }
            #expect(pushed == sent)
            for index in 1...30 { try await Self.say(w.bob, "catch up \(index)", in: w.group) }
            // carol comes back: the listing says where the group is; she pulls what she lacks.
            let carol = try await RawClient.connect(
                token: try await w.stack.signIn("carol").credentials.token,
                port: w.stack.chatPorts.last!
            )
            let listed = try #require(try await Self.groups(carol).first)
            #expect(listed.lastSeq == sent.seq + 30)
            #expect(listed.unread == 31)
            let caught = try await Self.history(carol, of: w.group, after: sent.seq - 1)
            #expect(caught.map(\.seq) == Array(sent.seq...(sent.seq + 30)))
            guard case .pong(let pong) = try await carol.request(.ping(WirePing())) else {
                throw ChatError(.internalError, "no pong")
            }
            #expect(pong.groupSeqSum == listed.lastSeq)
            var mark = WireMarkRead()
            mark.groupID = w.group
            mark.seq = listed.lastSeq
            _ = try await carol.request(.markRead(mark))
            #expect(try await Self.groups(carol).first?.unread == 0)
            await carol.close()
        }
    }

    @Test func mentionsAreStructuredAndOnlyOfMembers() async throws {
        try await Self.withWorld { w in
            #expect(
                await Self.refusal { try await Self.say(w.bob, "@dave", in: w.group, mentions: [w.daveID]) }
                    == .notAMember
            )
            #expect(await Self.refusal { try await Self.say(w.bob, "@all", in: w.group, all: true) } == .notGroupOwner)
            // The text says nothing; the field does.
            try await Self.say(w.bob, "look at this", in: w.group, mentions: [w.carolID])
            #expect(try await Self.groups(w.carol).first?.mentioned == true)
            #expect(try await Self.groups(w.alice).first?.mentioned == false)
            var mark = WireMarkRead()
            mark.groupID = w.group
            mark.seq = 99
            _ = try await w.carol.request(.markRead(mark))
            #expect(try await Self.groups(w.carol).first?.mentioned == false)
            try await Self.say(w.alice, "everyone: lunch", in: w.group, all: true)
            #expect(try await Self.groups(w.carol).first?.mentioned == true)
            #expect(try await Self.groups(w.bob).first?.mentioned == true)
        }
    }

    @Test(arguments: Deployment.allCases)
    func aReplyQuotesItsOriginalAndARecallBlanksBoth(_ deployment: Deployment) async throws {
        try await Self.withWorld(deployment) { w in
            let original = try await Self.say(w.alice, "first line\nsecond line", in: w.group)
            let reply = try await Self.say(w.bob, "agreed", in: w.group, replyTo: original.seq)
            #expect(reply.replyToSeq == original.seq)
            #expect(reply.replyToSenderID == w.aliceID)
            #expect(reply.replyExcerpt == "first line")
            #expect(await Self.refusal { try await Self.say(w.bob, "?", in: w.group, replyTo: 999) } == .noSuchMessage)

            var recall = WireRecallMessage()
            recall.groupID = w.group
            recall.seq = original.seq
            #expect(await Self.refusal { _ = try await w.bob.request(.recallMessage(recall)) } == .notYourMessage)
            guard case .messageAck(let ack) = try await w.alice.request(.recallMessage(recall)) else {
                throw ChatError(.internalError, "no ack")
            }
            #expect(ack.message.kind == .recall)
            #expect(ack.message.recalledSeq == original.seq)
            let history = try await Self.history(w.carol, of: w.group)
            let blanked = try #require(history.first { $0.seq == original.seq })
            #expect(blanked.recalled)
            #expect(blanked.text.isEmpty)
            #expect(history.first { $0.seq == reply.seq }?.replyExcerpt == "")
            #expect(!history.contains { $0.text.contains("first line") })
            // Again: the same line, nothing new.
            guard case .messageAck(let again) = try await w.alice.request(.recallMessage(recall)) else {
                throw ChatError(.internalError, "no ack")
            }
            #expect(again.duplicate)
            #expect(again.message.seq == ack.message.seq)
            // One-to-one too, and only the sender's own.
            let direct = try await AuthorizationTests.send(w.alice, "oops", to: w.bobID)
            var recallDirect = WireRecallMessage()
            recallDirect.peerID = w.aliceID
            recallDirect.seq = direct.message.seq
            #expect(await Self.refusal { _ = try await w.bob.request(.recallMessage(recallDirect)) } == .notYourMessage)
            recallDirect.peerID = w.bobID
            _ = try await w.alice.request(.recallMessage(recallDirect))
            var fetch = WireFetchHistory()
            fetch.peerID = w.aliceID
            guard case .messageList(let bobs) = try await w.bob.request(.fetchHistory(fetch)) else {
                throw ChatError(.internalError, "no history")
            }
            #expect(bobs.messages.first { $0.seq == direct.message.seq }?.recalled == true)
            #expect(!bobs.messages.contains { $0.text == "oops" })
        }
    }

    @Test func typingIsPushedNeverStoredAndLimited() async throws {
        try await withTestStack(limits: .init()) { stack in
            let (alice, bob, _, bobID) = try await stack.friends()
            let a = try await RawClient.connect(stack: stack, token: alice.credentials.token)
            let b = try await RawClient.connect(stack: stack, token: bob.credentials.token)
            await alice.stop()
            await bob.stop()
            var typing = WireSetTyping()
            typing.peerID = bobID
            _ = try await a.request(.setTyping(typing))
            var got: WireTypingPush?
            for await push in b.pushes {
                if case .typingPush(let push) = push.payload {
                    got = push
                    break
                }
            }
            #expect(got?.groupID == 0)
            guard case .syncReply(let sync) = try await b.request(.sync(WireSync())) else {
                throw ChatError(.internalError, "no sync")
            }
            #expect(sync.updates.isEmpty, "typing is never stored")
            var refused = 0
            for _ in 0..<10 where await Self.refusal({ _ = try await a.request(.setTyping(typing)) }) == .rateLimited {
                refused += 1
            }
            #expect(refused > 0)
            await a.close()
            await b.close()
        }
    }

    @Test func muteIsKeptOnTheServerForEveryDevice() async throws {
        try await Self.withWorld { w in
            var mute = WireSetMuted()
            mute.groupID = w.group
            mute.muted = true
            _ = try await w.bob.request(.setMuted(mute))
            mute.groupID = 0
            mute.peerID = w.aliceID
            _ = try await w.bob.request(.setMuted(mute))
            #expect(try await Self.groups(w.bob).first?.muted == true)
            #expect(try await Self.groups(w.alice).first?.muted == false)
            guard
                case .conversationList(let list) = try await w.bob.request(.listConversations(WireListConversations()))
            else { throw ChatError(.internalError, "no list") }
            // No messages yet between them: the mute waits in bob's log for his other devices.
            guard case .syncReply(let sync) = try await w.bob.request(.sync(WireSync())) else {
                throw ChatError(.internalError, "no sync")
            }
            let settings = sync.updates.compactMap { update -> WireConversationSettings? in
                if case .settings(let settings) = update.kind { return settings }
                return nil
            }
            #expect(settings.map(\.muted) == [true, true])
            #expect(settings.map(\.groupID) == [w.group, 0])
            #expect(list.conversations.allSatisfy { $0.peerID != w.aliceID || $0.muted })
            mute.peerID = w.eveID
            #expect(await Self.refusal { _ = try await w.bob.request(.setMuted(mute)) } == .notFriends)
        }
    }

    @Test func readReceiptsGoBothWaysOrNeither() async throws {
        try await Self.withWorld { w in
            let sent = try await AuthorizationTests.send(w.alice, "did you read this?", to: w.bobID)
            var mark = WireMarkRead()
            mark.peerID = w.aliceID
            mark.seq = sent.message.seq
            _ = try await w.bob.request(.markRead(mark))
            var receipt: WireReadMark?
            for await push in w.alice.pushes {
                if case .updatePush(let update) = push.payload, case .read(let read) = update.update.kind, read.byPeer {
                    receipt = read
                    break
                }
            }
            #expect(receipt?.peerID == w.bobID)
            #expect(receipt?.seq == sent.message.seq)
            guard
                case .conversationList(let list) = try await w.alice.request(
                    .listConversations(WireListConversations())
                )
            else { throw ChatError(.internalError, "no list") }
            #expect(list.conversations.first { $0.peerID == w.bobID }?.peerReadSeq == sent.message.seq)

            // bob turns them off: alice no longer learns, and bob no longer sees hers.
            var off = WireSetSendReadReceipts()
            off.enabled = false
            _ = try await w.bob.request(.setSendReadReceipts(off))
            let second = try await AuthorizationTests.send(w.alice, "and this?", to: w.bobID)
            mark.seq = second.message.seq
            _ = try await w.bob.request(.markRead(mark))
            guard
                case .conversationList(let after) = try await w.alice.request(
                    .listConversations(WireListConversations())
                )
            else { throw ChatError(.internalError, "no list") }
            #expect(after.conversations.first { $0.peerID == w.bobID }?.peerReadSeq == 0)
            // Group: "read by N of M" for one's own message.
            let message = try await Self.say(w.alice, "who has read this?", in: w.group)
            var groupMark = WireMarkRead()
            groupMark.groupID = w.group
            groupMark.seq = message.seq
            _ = try await w.carol.request(.markRead(groupMark))
            var ask = WireGetReadCount()
            ask.groupID = w.group
            ask.seq = message.seq
            guard case .readCount(let count) = try await w.alice.request(.getReadCount(ask)) else {
                throw ChatError(.internalError, "no count")
            }
            #expect(count.read == 1)
            #expect(count.members == 2)
            // Only for one's own message: nobody else learns when each member read.
            #expect(await Self.refusal { _ = try await w.carol.request(.getReadCount(ask)) } == .notYourMessage)
            // bob keeps receipts off (above): read or not, he is not counted as having read.
            groupMark.seq = message.seq
            _ = try await w.bob.request(.markRead(groupMark))
            guard case .readCount(let again) = try await w.alice.request(.getReadCount(ask)) else {
                throw ChatError(.internalError, "no count")
            }
            #expect(again.read == 1)
        }
    }
}
