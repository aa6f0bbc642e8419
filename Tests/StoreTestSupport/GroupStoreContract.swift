import ChatProtocol
import ChatServices
import Foundation
import Testing

/// What a group store works on: the group store, and the message, user and social stores of the
/// same database (a group's messages are committed through the message store).
public struct GroupStoreFixture: Sendable {
    public let groups: any GroupStore
    public let messages: MessageStoreFixture

    public init(groups: any GroupStore, messages: MessageStoreFixture) {
        self.groups = groups
        self.messages = messages
    }

    /// `owner` and `count` friends of theirs, named `prefix0`…
    func ownerWithFriends(_ count: Int, prefix: String = "m") async throws -> (UserRecord, [UserRecord]) {
        let owner = try await messages.makeUser("owner")
        var friends: [UserRecord] = []
        for index in 0..<count {
            let friend = try await messages.makeUser("\(prefix)\(index)")
            try await messages.social.makeFriends(owner.id, friend.id, nowMs: 1_000)
            friends.append(friend)
        }
        return (owner, friends)
    }

    func create(_ owner: UserRecord, _ members: [UserRecord], nowMs: Int64 = 1_000) async throws -> GroupID {
        try await groups.createGroup(
            owner: owner.id,
            name: "team",
            members: members.map(\.id),
            nowMs: nowMs,
            line: GroupStoreContract.line
        ).group.id
    }

    @discardableResult
    func say(
        _ sender: UserRecord,
        in group: GroupID,
        _ text: String,
        at nowMs: Int64 = 2_000,
        mentions: [UserID] = [],
        all: Bool = false
    ) async throws -> CommittedMessage {
        var message = NewMessage(
            senderID: sender.id,
            recipientID: 0,
            clientMessageID: UUID().uuidString,
            text: text,
            sentAtMs: nowMs
        )
        message.groupID = group
        message.mentions = mentions
        message.mentionsAll = all
        return try await messages.store.commit(message)
    }
}

public struct GroupStoreScenario: Sendable, CustomTestStringConvertible {
    public let name: String
    public let run: @Sendable (GroupStoreFixture) async throws -> Void

    init(_ name: String, _ run: @escaping @Sendable (GroupStoreFixture) async throws -> Void) {
        self.name = name
        self.run = run
    }

    public var testDescription: String { name }
}

/// The group store's contract, run against each store (SQLite, PostgreSQL) on a fresh database.
public enum GroupStoreContract {
    @Sendable static func line(_ change: GroupChange) -> String { "change \(change.kind.rawValue)" }

    static func code(_ body: () async throws -> Void) async -> ErrorCode? { await refusalCode(body) }

    public static let scenarios: [GroupStoreScenario] = [
        GroupStoreScenario("a group has at most 500 members") { f in
            let (owner, friends) = try await f.ownerWithFriends(ProtocolLimits.maxGroupMembers)
            #expect(await code { _ = try await f.create(owner, friends) } == .limitReached)
            let group = try await f.create(owner, Array(friends.prefix(ProtocolLimits.maxGroupMembers - 1)))
            #expect(try await f.groups.memberIDs(of: group).count == ProtocolLimits.maxGroupMembers)
            #expect(
                await code {
                    _ = try await f.groups.invite([friends.last!.id], to: group, by: owner.id, nowMs: 2, line: line)
                } == .limitReached
            )
            #expect(try await f.groups.memberIDs(of: group).count == ProtocolLimits.maxGroupMembers)
        },
        GroupStoreScenario("a message is stored once and each member's unread is derived") { f in
            let (owner, friends) = try await f.ownerWithFriends(4)
            let group = try await f.create(owner, friends)
            let first = try await f.say(friends[0], in: group, "one")
            try await f.say(friends[1], in: group, "two", mentions: [friends[2].id])
            #expect(first.message.seq == 2 && !first.duplicate)
            // A group message takes no update-log entry of anybody's, its sender's nor a member's.
            #expect(try await f.messages.store.latestUpdateID(of: friends[0].id) == 1, "only the group's creation")
            #expect(try await f.messages.store.latestUpdateID(of: friends[3].id) == 1, "only the group's creation")
            let seen = try await f.groups.groups(of: friends[2].id)
            #expect(seen.count == 1)
            #expect(seen.first?.unread == 2)
            #expect(seen.first?.mentioned == true)
            #expect(seen.first?.lastMessage?.text == "two")
            let sender = try await f.groups.groups(of: friends[0].id).first
            #expect(sender?.unread == 1, "one's own messages are read")
            #expect(sender?.mentioned == false)
            _ = try await f.groups.markRead(user: friends[2].id, group: group, seq: .max)
            let read = try await f.groups.groups(of: friends[2].id).first
            #expect(read?.unread == 0)
            #expect(read?.mentioned == false)
            #expect(read?.readSeq == read?.lastSeq)
            #expect(try await f.groups.groupSeqSum(of: friends[2].id) == read?.lastSeq)

            // Nor is the group one of anybody's one-to-one conversations: the direct sums count
            // pairs only (the owner, made first, may have the group's id as theirs).
            for user in [owner, friends[0], friends[2]] {
                #expect(try await f.messages.store.directSeqSum(of: user.id) == 0, "\(user.username)")
            }
            _ = try await f.messages.store.commit(
                NewMessage(
                    senderID: owner.id,
                    recipientID: friends[0].id,
                    clientMessageID: "direct",
                    text: "psst",
                    sentAtMs: 3_000
                )
            )
            #expect(try await f.messages.store.directSeqSum(of: owner.id) == 1)
            #expect(try await f.messages.store.directSeqSum(of: friends[0].id) == 1)
            #expect(try await f.messages.store.directSeqSum(of: friends[2].id) == 0)
            #expect(try await f.groups.groupSeqSum(of: friends[2].id) == read?.lastSeq, "nor the other way round")
        },
        GroupStoreScenario("one who leaves sees up to their line, and the owner's leaving hands over") { f in
            let (owner, friends) = try await f.ownerWithFriends(3)
            let group = try await f.create(owner, friends)
            try await f.say(owner, in: group, "before")
            let left = try await f.groups.remove(friends[0].id, from: group, by: friends[0].id, nowMs: 3, line: line)
            try await f.say(owner, in: group, "after")
            #expect(left.loggedFor.keys.sorted() == [friends[0].id])
            let history = try await f.groups.history(
                of: group,
                for: friends[0].id,
                beforeSeq: 0,
                afterSeq: nil,
                limit: 50
            )
            #expect(history.first?.seq == left.line.seq)
            #expect(history.first?.change?.kind == .left)
            #expect(!history.contains { $0.text == "after" })
            #expect(await code { try await f.say(friends[0], in: group, "back?") } == .notAMember)
            let handed = try await f.groups.remove(owner.id, from: group, by: owner.id, nowMs: 4, line: line)
            #expect(handed.group.ownerID == friends[1].id, "the longest-standing member")
            #expect(handed.followingLines.map { $0.change?.kind } == [.ownerChanged], "a line tells everyone")
            #expect(handed.followingLines.first?.change?.userIDs == [friends[1].id])
            #expect(handed.group.memberCount == 2)
            // Coming back (invited by a friend): from the line that adds them, not before.
            try await f.messages.social.makeFriends(friends[1].id, friends[0].id, nowMs: 1_000)
            _ = try await f.groups.invite([friends[0].id], to: group, by: friends[1].id, nowMs: 5, line: line)
            let again = try await f.groups.history(
                of: group,
                for: friends[0].id,
                beforeSeq: 0,
                afterSeq: nil,
                limit: 50
            )
            #expect(again.count == 1)
            #expect(again.first?.change?.kind == .invited)
        },
        GroupStoreScenario("a message is recalled by its sender for two minutes") { f in
            let (owner, friends) = try await f.ownerWithFriends(2)
            let group = try await f.create(owner, friends)
            let sent = try await f.say(friends[0], in: group, "oops", at: 10_000)
            let seq = sent.message.seq
            #expect(
                await code {
                    _ = try await f.messages.store.recall(seq: seq, in: .group(group), by: owner.id, nowMs: 10_001)
                } == .notYourMessage
            )
            #expect(
                await code {
                    _ = try await f.messages.store.recall(
                        seq: seq,
                        in: .group(group),
                        by: friends[0].id,
                        nowMs: 10_000 + ProtocolLimits.recallWindowMs + 1
                    )
                } == .recallTooLate
            )
            #expect(
                await code {
                    _ = try await f.messages.store.recall(seq: 999, in: .group(group), by: friends[0].id, nowMs: 10_001)
                } == .noSuchMessage
            )
            let line = try await f.messages.store.recall(seq: seq, in: .group(group), by: friends[0].id, nowMs: 10_001)
            #expect(line.message.kind == .recall)
            #expect(line.message.recalledSeq == seq)
            #expect(line.message.seq == seq + 1)
            let history = try await f.groups.history(of: group, for: owner.id, beforeSeq: 0, afterSeq: nil, limit: 50)
            #expect(history.first { $0.seq == seq }?.recalled == true)
            #expect(history.first { $0.seq == seq }?.text == "")
            #expect(try await f.groups.groups(of: owner.id).first?.unread == 1, "the recall line is not unread")
        },
        GroupStoreScenario("only the owner changes the group, and only members are invited by friends") { f in
            let (owner, friends) = try await f.ownerWithFriends(3)
            let stranger = try await f.messages.makeUser("stranger")
            #expect(await code { _ = try await f.create(owner, [friends[0], stranger]) } == .notFriends)
            let group = try await f.create(owner, [friends[0], friends[1]])
            #expect(
                await code {
                    _ = try await f.groups.edit(group, .rename("x"), by: friends[0].id, nowMs: 2, line: line)
                } == .notGroupOwner
            )
            #expect(
                await code {
                    _ = try await f.groups.remove(friends[1].id, from: group, by: friends[0].id, nowMs: 2, line: line)
                } == .notGroupOwner
            )
            #expect(
                await code {
                    _ = try await f.groups.invite([friends[2].id], to: group, by: friends[0].id, nowMs: 2, line: line)
                } == .notFriends,
                "friends[2] is the owner's friend, not friends[0]'s"
            )
            try await f.messages.social.setBlocked(blocker: friends[2].id, blocked: owner.id, true)
            #expect(
                await code {
                    _ = try await f.groups.invite([friends[2].id], to: group, by: owner.id, nowMs: 2, line: line)
                } == .blocked
            )
            #expect(try await f.groups.memberIDs(of: group).count == 3)
            #expect(try await f.groups.group(group, for: owner.id).name == "team")
        },
    ]
}
