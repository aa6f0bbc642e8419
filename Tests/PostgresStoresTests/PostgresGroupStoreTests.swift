import ChatProtocol
import ChatServices
import Foundation
import PostgresStores
import PostgresTestSupport
import StoreTestSupport
import Testing

/// Groups on a real PostgreSQL server: the contract every group store keeps; what the message
/// store gained with them (group messages checked in their commit, replies, recall, mute, read
/// receipts); and what only a shared database must: two chat nodes inviting into one group at
/// once still cannot pass its cap.
@Suite struct PostgresGroupStoreTests {
    static func fixture(_ database: PostgresStoreDatabase) -> GroupStoreFixture {
        GroupStoreFixture(
            groups: PostgresGroupStore(database: database),
            messages: PostgresMessageStoreTests.fixture(database)
        )
    }

    @Test(arguments: GroupStoreContract.scenarios)
    func contract(_ scenario: GroupStoreScenario) async throws {
        try await PostgresStoresTests.withDatabase { database in
            try await scenario.run(Self.fixture(database))
        }
    }

    @Sendable static func line(_ change: GroupChange) -> String { "change \(change.kind.rawValue)" }

    static func code(_ body: () async throws -> Void) async -> ErrorCode? { await refusalCode(body) }

    static func groupMessage(
        from sender: UserRecord,
        in group: GroupID,
        _ text: String,
        clientID: String = UUID().uuidString,
        mentions: [UserID] = [],
        all: Bool = false,
        replyTo: UInt64 = 0
    ) -> NewMessage {
        var message = NewMessage(
            senderID: sender.id,
            recipientID: 0,
            clientMessageID: clientID,
            text: text,
            sentAtMs: 2_000
        )
        message.groupID = group
        message.mentions = mentions
        message.mentionsAll = all
        message.replyToSeq = replyTo
        return message
    }

    @Test func groupMessagesAreCheckedInTheirCommitAndEachMembersPositionIsDerived() async throws {
        try await PostgresStoresTests.withDatabase { database in
            let f = Self.fixture(database)
            let store = f.messages.store
            let owner = try await f.messages.makeUser("owner")
            let ann = try await f.messages.makeUser("ann")
            let ben = try await f.messages.makeUser("ben")
            let cat = try await f.messages.makeUser("cat")
            let stranger = try await f.messages.makeUser("stranger")
            try await f.messages.befriend(owner, ann, ben, cat)

            let created = try await f.groups.createGroup(
                owner: owner.id,
                name: "team",
                members: [ann.id, ben.id, ann.id, owner.id],
                nowMs: 1_000,
                line: Self.line
            )
            let group = created.group.id
            #expect(created.group.memberCount == 3 && created.group.ownerID == owner.id)
            #expect(created.line.seq == 1 && created.line.kind == .system && created.line.groupID == group)
            #expect(created.line.change == GroupChange(kind: .created, userIDs: [ann.id, ben.id], value: "team"))
            #expect(created.line.text == "change 1")
            #expect(created.loggedFor.keys.sorted() == [owner.id, ann.id, ben.id].sorted())
            #expect(try await f.groups.memberIDs(of: group) == [owner.id, ann.id, ben.id])

            // Refused in the commit, having written nothing.
            let refusals: [(NewMessage, ErrorCode)] = [
                (Self.groupMessage(from: stranger, in: group, "let me in"), .notAMember),
                (Self.groupMessage(from: ann, in: group, "hey", mentions: [stranger.id]), .notAMember),
                (Self.groupMessage(from: ann, in: group, "everyone!", all: true), .notGroupOwner),
                (
                    Self.groupMessage(
                        from: ann,
                        in: group,
                        "so many",
                        mentions: (1...Int64(ProtocolLimits.maxMentions + 1)).map { $0 + 10_000 }
                    ),
                    .badRequest
                ),
                (Self.groupMessage(from: ann, in: group, "re", replyTo: 99), .noSuchMessage),
            ]
            for (index, (message, expected)) in refusals.enumerated() {
                #expect(await Self.code { _ = try await store.commit(message) } == expected, "refusal \(index)")
            }
            #expect(try await f.groups.groups(of: ben.id).first?.lastSeq == 1, "nothing was written")

            let hello = try await store.commit(
                Self.groupMessage(from: ann, in: group, "hello\nsecond line", clientID: "hello")
            )
            #expect(hello.message.seq == 2 && hello.message.groupID == group && hello.message.recipientID == 0)
            #expect(!hello.duplicate)
            #expect(try await store.latestUpdateID(of: ann.id) == 1, "only the group's creation: no message is logged")
            let resent = try await store.commit(
                Self.groupMessage(from: ann, in: group, "hello\nsecond line", clientID: "hello")
            )
            #expect(resent.duplicate && resent.message.id == hello.message.id && resent.message.seq == 2)

            let reply = try await store.commit(
                Self.groupMessage(from: ben, in: group, "hi ann", mentions: [ann.id, ann.id], replyTo: 2)
            )
            #expect(reply.message.reply == ReplyReference(seq: 2, senderID: ann.id, excerpt: "hello"))
            #expect(reply.message.mentions == [ann.id])
            let everyone = try await store.commit(Self.groupMessage(from: owner, in: group, "all hands", all: true))
            #expect(everyone.message.mentionsAll && everyone.message.seq == 4)

            let annSees = try #require(try await f.groups.groups(of: ann.id).first)
            #expect(annSees.lastSeq == 4 && annSees.readSeq == 2, "sending is reading")
            #expect(annSees.unread == 2 && annSees.mentioned && annSees.isMember)
            #expect(annSees.lastMessage?.text == "all hands")
            let benSees = try #require(try await f.groups.groups(of: ben.id).first)
            #expect(benSees.unread == 1 && benSees.mentioned, "the owner's @all")
            #expect(try await f.groups.groups(of: cat.id).isEmpty)
            #expect(await Self.code { _ = try await f.groups.group(group, for: cat.id) } == .notAMember)

            // Cat joins at the invitation's line: nothing before it is theirs, nor quotable.
            let invited = try await f.groups.invite(
                [cat.id, ann.id],
                to: group,
                by: owner.id,
                nowMs: 3,
                line: Self.line
            )
            #expect(invited.line.seq == 5 && invited.line.change?.userIDs == [cat.id])
            #expect(invited.loggedFor.keys.sorted() == [cat.id])
            #expect(invited.group.memberCount == 4)
            let catHistory = try await f.groups.history(
                of: group,
                for: cat.id,
                beforeSeq: 0,
                afterSeq: nil,
                limit: 50
            )
            #expect(catHistory.map(\.seq) == [5])
            let quotingThePast = Self.groupMessage(from: cat, in: group, "?", replyTo: 2)
            #expect(await Self.code { _ = try await store.commit(quotingThePast) } == .noSuchMessage)
            let catSees = try #require(try await f.groups.groups(of: cat.id).first)
            #expect(
                catSees.joinedSeq == 5 && catSees.unread == 0 && !catSees.mentioned,
                "the line that added cat is not unread"
            )

            // The message at 2 could be read by the owner and ben (cat came later); both have.
            #expect(
                await Self.code { _ = try await f.groups.readCount(of: group, seq: 2, asker: owner.id) }
                    == .notYourMessage,
                "only the sender asks"
            )
            let count = try await f.groups.readCount(of: group, seq: 2, asker: ann.id)
            #expect(count.read == 2 && count.members == 2)
            #expect(
                await Self.code { _ = try await f.groups.readCount(of: group, seq: 99, asker: owner.id) }
                    == .noSuchMessage
            )
            #expect(
                await Self.code { _ = try await f.groups.readCount(of: group, seq: 2, asker: stranger.id) }
                    == .notAMember
            )

            let oldest = try await f.groups.history(of: group, for: ann.id, beforeSeq: 0, afterSeq: 2, limit: 2)
            #expect(oldest.map(\.seq) == [3, 4])
            let newest = try await f.groups.history(of: group, for: ann.id, beforeSeq: 5, afterSeq: nil, limit: 2)
            #expect(newest.map(\.seq) == [4, 3])
            #expect(try await f.groups.groupSeqSum(of: ann.id) == 5)
        }
    }

    @Test func membersAreChangedOnlyByThoseWhoMay() async throws {
        try await PostgresStoresTests.withDatabase { database in
            let f = Self.fixture(database)
            let owner = try await f.messages.makeUser("owner")
            let ann = try await f.messages.makeUser("ann")
            let ben = try await f.messages.makeUser("ben")
            let cat = try await f.messages.makeUser("cat")
            try await f.messages.befriend(owner, ann, ben, cat)
            #expect(
                await Self.code {
                    _ = try await f.groups.createGroup(
                        owner: owner.id,
                        name: "two",
                        members: [ann.id, owner.id],
                        nowMs: 1,
                        line: Self.line
                    )
                } == .badRequest
            )
            let group = try await f.groups.createGroup(
                owner: owner.id,
                name: "team",
                members: [ann.id, ben.id],
                nowMs: 1,
                line: Self.line
            ).group.id
            #expect(
                await Self.code {
                    _ = try await f.groups.invite([ann.id], to: group, by: owner.id, nowMs: 2, line: Self.line)
                } == .badRequest,
                "they are all in it already"
            )
            #expect(
                await Self.code {
                    _ = try await f.groups.invite([ben.id], to: group, by: cat.id, nowMs: 2, line: Self.line)
                } == .notAMember
            )
            #expect(
                await Self.code {
                    _ = try await f.groups.remove(cat.id, from: group, by: owner.id, nowMs: 2, line: Self.line)
                } == .notAMember
            )
            #expect(
                await Self.code {
                    _ = try await f.groups.edit(group, .transfer(to: cat.id), by: owner.id, nowMs: 2, line: Self.line)
                } == .notAMember
            )

            let renamed = try await f.groups.edit(group, .rename("crew"), by: owner.id, nowMs: 3, line: Self.line)
            #expect(renamed.group.name == "crew" && renamed.line.change?.value == "crew" && renamed.loggedFor.isEmpty)
            let announced = try await f.groups.edit(group, .announce("hi"), by: owner.id, nowMs: 4, line: Self.line)
            #expect(announced.group.announcement == "hi" && announced.line.change?.kind == .announced)
            let handed = try await f.groups.edit(group, .transfer(to: ben.id), by: owner.id, nowMs: 5, line: Self.line)
            #expect(handed.group.ownerID == ben.id && handed.line.change?.userIDs == [ben.id])
            #expect(
                await Self.code {
                    _ = try await f.groups.edit(group, .rename("mine"), by: owner.id, nowMs: 6, line: Self.line)
                } == .notGroupOwner
            )

            // Removed: the line is the last they see; they are told through their update log.
            let removed = try await f.groups.remove(ann.id, from: group, by: ben.id, nowMs: 7, line: Self.line)
            #expect(removed.line.change == GroupChange(kind: .removed, userIDs: [ann.id]))
            #expect(removed.group.memberCount == 2)
            let annLog = try await f.messages.store.updates(of: ann.id, after: 0, limit: 50)
            #expect(annLog.last == .groupChanged(updateID: removed.loggedFor[ann.id] ?? 0, groupID: group))
            let annSees = try #require(try await f.groups.groups(of: ann.id).first)
            #expect(!annSees.isMember && annSees.lastSeq == removed.line.seq)
            #expect(
                await Self.code { _ = try await f.groups.group(group, for: ann.id) } == .notAMember,
                "a past member no longer learns the group as it is"
            )
            #expect(try await f.groups.members(of: group).map(\.userID) == [owner.id, ben.id])

            // The last two leave: the owner hands over to the one left, who then leaves it empty.
            let left = try await f.groups.remove(ben.id, from: group, by: ben.id, nowMs: 8, line: Self.line)
            #expect(left.group.ownerID == owner.id && left.line.change?.kind == .left)
            let last = try await f.groups.remove(owner.id, from: group, by: owner.id, nowMs: 9, line: Self.line)
            #expect(last.group.memberCount == 0)
            #expect(try await f.groups.memberIDs(of: group).isEmpty)
        }
    }

    @Test func aOneToOneMessageIsQuotedAndRecalledWithinTwoMinutes() async throws {
        try await PostgresStoresTests.withDatabase { database in
            let db = PostgresMessageStoreTests.fixture(database)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            try await db.befriend(alice, bob)
            let first = try await db.store.commit(
                NewMessage(
                    senderID: alice.id,
                    recipientID: bob.id,
                    clientMessageID: "first",
                    text: "line one\nline two",
                    sentAtMs: 10_000
                )
            )
            let long = try await db.store.commit(
                NewMessage(
                    senderID: alice.id,
                    recipientID: bob.id,
                    clientMessageID: "long",
                    text: String(repeating: "x", count: 200),
                    sentAtMs: 10_000
                )
            )
            var answer = NewMessage(
                senderID: bob.id,
                recipientID: alice.id,
                clientMessageID: "answer",
                text: "what?",
                sentAtMs: 10_000
            )
            answer.replyToSeq = first.message.seq
            let answered = try await db.store.commit(answer)
            #expect(answered.message.reply == ReplyReference(seq: 1, senderID: alice.id, excerpt: "line one"))
            answer.clientMessageID = "answer-long"
            answer.replyToSeq = long.message.seq
            let cut = try await db.store.commit(answer)
            #expect(cut.message.reply?.excerpt.count == ProtocolLimits.replyExcerptCharacters)
            answer.clientMessageID = "answer-nothing"
            answer.replyToSeq = 99
            #expect(await Self.code { _ = try await db.store.commit(answer) } == .noSuchMessage)

            let recall = { (user: UserRecord, seq: UInt64, nowMs: Int64) in
                let peer = user.id == alice.id ? bob.id : alice.id
                return try await db.store.recall(seq: seq, in: .direct(peer), by: user.id, nowMs: nowMs)
            }
            #expect(await Self.code { _ = try await recall(bob, 1, 10_001) } == .notYourMessage)
            #expect(await Self.code { _ = try await recall(alice, 99, 10_001) } == .noSuchMessage)
            #expect(
                await Self.code { _ = try await recall(alice, 1, 10_000 + ProtocolLimits.recallWindowMs + 1) }
                    == .recallTooLate
            )
            let line = try await recall(alice, 1, 10_000 + ProtocolLimits.recallWindowMs)
            #expect(line.message.kind == .recall && line.message.recalledSeq == 1 && !line.duplicate)
            #expect(line.message.seq == 5 && line.message.senderID == alice.id && line.message.recipientID == bob.id)
            let again = try await recall(alice, 1, 10_000 + 10 * ProtocolLimits.recallWindowMs)
            #expect(again.duplicate && again.message.id == line.message.id)
            #expect(again.message == line.message)
            #expect(await Self.code { _ = try await recall(alice, 5, 10_001) } == .noSuchMessage, "a recall line")

            let history = try await db.store.history(of: bob.id, with: alice.id, beforeSeq: 0, afterSeq: nil, limit: 50)
            let recalled = try #require(history.first { $0.seq == 1 })
            #expect(recalled.recalled && recalled.text.isEmpty)
            #expect(history.first { $0.seq == 3 }?.reply?.excerpt == "", "its quotes went with it")
            // The recall line is the conversation's newest message, reached by its seq like any
            // other (in the history, in the direct sums), and logged for nobody.
            #expect(history.first == line.message)
            let caughtUp = try await db.store.history(of: bob.id, with: alice.id, beforeSeq: 0, afterSeq: 4, limit: 50)
            #expect(caughtUp == [line.message])
            #expect(try await db.store.directSeqSum(of: bob.id) == 5)
            #expect(try await db.store.directSeqSum(of: alice.id) == 5)
            #expect(try await db.store.updates(of: bob.id, after: 0, limit: 50).isEmpty)
            #expect(try await db.store.latestUpdateID(of: alice.id) == 0)
        }
    }

    @Test func mutesAndReadReceiptsAreLoggedForTheRightPeople() async throws {
        try await PostgresStoresTests.withDatabase { database in
            let f = Self.fixture(database)
            let store = f.messages.store
            let alice = try await f.messages.makeUser("alice")
            let bob = try await f.messages.makeUser("bob")
            let carol = try await f.messages.makeUser("carol")
            let stranger = try await f.messages.makeUser("stranger")
            try await f.messages.befriend(alice, bob, carol)
            _ = try await store.commit(
                NewMessage(senderID: alice.id, recipientID: bob.id, clientMessageID: "hi", text: "hi", sentAtMs: 1)
            )

            // The message logged nothing: the mute is alice's first entry.
            let muted = try await store.setMuted(true, .direct(bob.id), user: alice.id)
            #expect(muted == .muted(updateID: 1, .direct(bob.id), true))
            #expect(try await store.updates(of: alice.id, after: 0, limit: 50) == [muted])
            #expect(try await store.latestUpdateID(of: alice.id) == 1)
            var aliceSees = try await store.conversations(of: alice.id, afterPeer: 0, limit: 50)
            #expect(aliceSees.first?.muted == true && aliceSees.first?.readSeq == 1)

            _ = try await store.markRead(user: bob.id, peer: alice.id, seq: 1)
            let receipt = try await store.logReadReceipt(reader: bob.id, peer: alice.id, seq: 1)
            #expect(receipt == .peerRead(updateID: 2, peerID: bob.id, seq: 1), "in the peer's log")
            #expect(try await store.updates(of: alice.id, after: 0, limit: 50).last == receipt)
            aliceSees = try await store.conversations(of: alice.id, afterPeer: 0, limit: 50)
            #expect(aliceSees.first?.peerReadSeq == 1)

            try await f.messages.users.setSendsReadReceipts(userID: bob.id, false)
            #expect(try await f.messages.users.sendsReadReceipts(userID: bob.id) == false)
            #expect(try await f.messages.users.sendsReadReceipts(userID: alice.id))
            #expect(try await store.logReadReceipt(reader: bob.id, peer: alice.id, seq: 1) == nil)
            aliceSees = try await store.conversations(of: alice.id, afterPeer: 0, limit: 50)
            #expect(aliceSees.first?.peerReadSeq == 0, "hidden unless both send them")

            // A group: its mute, read position and membership changes are in the member's log;
            // it is not one of their one-to-one conversations.
            let created = try await f.groups.createGroup(
                owner: alice.id,
                name: "team",
                members: [bob.id, carol.id],
                nowMs: 1,
                line: Self.line
            )
            let group = created.group.id
            _ = try await store.commit(Self.groupMessage(from: alice, in: group, "morning"))
            let groupMuted = try await store.setMuted(true, .group(group), user: bob.id)
            #expect(try await f.groups.groups(of: bob.id).first?.muted == true)
            #expect(
                await Self.code { _ = try await store.setMuted(true, .group(group), user: stranger.id) } == .notAMember
            )
            let read = try #require(try await f.groups.markRead(user: bob.id, group: group, seq: .max))
            #expect(read == .groupRead(updateID: groupMuted.updateID + 1, groupID: group, seq: 2))
            #expect(try await f.groups.markRead(user: bob.id, group: group, seq: 1) == nil, "never backwards")
            let bobLog = try await store.updates(of: bob.id, after: 0, limit: 50)
            #expect(bobLog.contains(.groupChanged(updateID: created.loggedFor[bob.id] ?? 0, groupID: group)))
            #expect(Array(bobLog.suffix(2)) == [groupMuted, read])
            let loggedMessages = bobLog.filter {
                if case .message = $0 { return true }
                return false
            }
            #expect(loggedMessages.isEmpty, "no message, one-to-one or in the group, is in the log")
            #expect(try await store.conversations(of: bob.id, afterPeer: 0, limit: 50).map(\.peerID) == [alice.id])
        }
    }

    /// Two nodes (two connection pools) invite different people into one group at once, with
    /// room for only one of the invitations: the group's row lock makes the second wait and then
    /// see the first, so exactly one passes.
    @Test func twoNodesInvitingAtOnceCannotPassTheCap() async throws {
        do {
            let (server, name) = try await PostgresServer.freshDatabase()
            let first = try await PostgresStoresTests.open(server, database: name)
            let second = try await PostgresStoresTests.open(server, database: name)
            let one = Self.fixture(first)
            let other = Self.fixture(second)
            let owner = try await one.messages.makeUser("owner")
            var friends: [UserID] = []
            for index in 0...ProtocolLimits.maxGroupMembers {
                let friend = try await one.messages.makeUser("f\(index)")
                try await one.messages.social.makeFriends(owner.id, friend.id, nowMs: 1)
                friends.append(friend.id)
            }
            // Room for two more.
            let group = try await one.groups.createGroup(
                owner: owner.id,
                name: "big",
                members: Array(friends.prefix(ProtocolLimits.maxGroupMembers - 3)),
                nowMs: 1,
                line: Self.line
            ).group.id
            let invitations = [Array(friends.suffix(4).prefix(2)), Array(friends.suffix(2))]
            let codes = await withTaskGroup(of: ErrorCode?.self) { tasks in
                for (store, users) in zip([one.groups, other.groups], invitations) {
                    tasks.addTask {
                        await Self.code {
                            _ = try await store.invite(users, to: group, by: owner.id, nowMs: 2, line: Self.line)
                        }
                    }
                }
                var codes: [ErrorCode?] = []
                for await code in tasks { codes.append(code) }
                return codes
            }
            #expect(codes.filter { $0 == nil }.count == 1)
            #expect(codes.contains(.limitReached))
            #expect(try await other.groups.memberIDs(of: group).count == ProtocolLimits.maxGroupMembers)
            #expect(try await one.groups.group(group, for: owner.id).memberCount == ProtocolLimits.maxGroupMembers)
            await first.close()
            await second.close()
        }
    }

    /// Group and one-to-one messages from many senders at once share batches: every group seq is
    /// taken once, and the pairs' numbering is untouched by them.
    @Test func concurrentGroupAndDirectMessagesKeepEveryNumberGapless() async throws {
        try await PostgresStoresTests.withDatabase { database in
            let f = Self.fixture(database)
            let owner = try await f.messages.makeUser("owner")
            var members: [UserRecord] = []
            for index in 0..<4 {
                let member = try await f.messages.makeUser("m\(index)")
                try await f.messages.befriend(owner, member)
                members.append(member)
            }
            let group = try await f.groups.createGroup(
                owner: owner.id,
                name: "busy",
                members: members.map(\.id),
                nowMs: 1,
                line: Self.line
            ).group.id
            let perSender = 40
            let store = f.messages.store
            let committed = try await withThrowingTaskGroup(of: CommittedMessage.self) { tasks in
                for sender in members {
                    for index in 0..<perSender {
                        tasks.addTask {
                            if index % 4 == 3 {
                                return try await store.commit(
                                    NewMessage(
                                        senderID: sender.id,
                                        recipientID: owner.id,
                                        clientMessageID: "d\(index)",
                                        text: "direct \(index)",
                                        sentAtMs: 2
                                    )
                                )
                            }
                            return try await store.commit(
                                Self.groupMessage(from: sender, in: group, "group \(index)", clientID: "g\(index)")
                            )
                        }
                    }
                }
                var all: [CommittedMessage] = []
                for try await message in tasks { all.append(message) }
                return all
            }
            let inGroup = committed.filter { $0.message.groupID == group }
            #expect(inGroup.map(\.message.seq).sorted() == Array(2...UInt64(inGroup.count + 1)))
            let history = try await f.groups.history(of: group, for: owner.id, beforeSeq: 0, afterSeq: nil, limit: 500)
            #expect(history.count == inGroup.count + 1)
            for member in members {
                let direct = committed.filter { $0.message.groupID == 0 && $0.message.senderID == member.id }
                #expect(direct.map(\.message.seq).sorted() == Array(1...UInt64(direct.count)))
                // Their pair's last seq is their direct sum; the group's seqs are not in it.
                #expect(try await store.directSeqSum(of: member.id) == UInt64(direct.count))
            }
            let allDirect = committed.filter { $0.message.groupID == 0 }
            #expect(try await store.directSeqSum(of: owner.id) == UInt64(allDirect.count))
            // Neither kind of message is logged: each log holds only the group's creation.
            for user in [owner] + members {
                #expect(try await store.latestUpdateID(of: user.id) == 1, "\(user.username)")
            }
            let ownerSees = try #require(try await f.groups.groups(of: owner.id).first)
            #expect(ownerSees.unread == UInt64(inGroup.count))
        }
    }
}
