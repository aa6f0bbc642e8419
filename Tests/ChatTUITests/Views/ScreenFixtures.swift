import ChatClient
import ChatProtocol
import Foundation

@testable import ChatTUI

/// A signed-in state with friends, conversations and messages, for rendering tests.
enum ScreenFixtures {
    static let alice = UserSummary(id: 1, username: "alice")
    static let bob = UserSummary(id: 2, username: "bob")
    static let carol = UserSummary(id: 3, username: "carol")
    static let dave = UserSummary(id: 4, username: "dave")

    /// 2026-11-27 10:02 local time, give or take the zone: only the shape of times matters here.
    static let base: Int64 = 1_795_000_000_000

    static func message(
        _ id: Int64,
        from: UserSummary,
        to: UserSummary,
        seq: UInt64,
        _ text: String,
        minutes: Int64 = 0
    ) -> ChatMessage {
        ChatMessage(
            id: id,
            clientMessageID: "c\(id)",
            senderID: from.id,
            recipientID: to.id,
            seq: seq,
            text: text,
            sentAtMs: base + minutes * 60_000
        )
    }

    /// Seq 1…`count` between alice and bob, a minute apart (id = seq): `bobWrote(seq)` says
    /// whose each is, `text(seq)` what it says.
    static func conversation(
        _ count: Int,
        bobWrote: (Int) -> Bool,
        text: (Int) -> String
    ) -> [ChatMessage] {
        (1...count).map { (seq: Int) -> ChatMessage in
            let (sender, recipient) = bobWrote(seq) ? (bob, alice) : (alice, bob)
            return message(Int64(seq), from: sender, to: recipient, seq: UInt64(seq), text(seq), minutes: Int64(seq))
        }
    }

    static let bobMessages: [ChatMessage] = [
        message(1, from: bob, to: alice, seq: 1, "你好，爱丽丝！今天怎么样？🙂", minutes: 0),
        message(2, from: alice, to: bob, seq: 2, "Good, thanks 👍 这个终端应用显示中文和表情符号都很正常。", minutes: 1),
        message(
            3,
            from: bob,
            to: alice,
            seq: 3,
            "太好了！Let's test a long line that has to wrap around the edge of the chat pane 👨‍👩‍👧 家族 🇨🇳 and keep going for a while.",
            minutes: 2
        ),
        message(4, from: bob, to: alice, seq: 4, "Still there?", minutes: 3),
    ]

    static func mainState(width: Int, height: Int) -> AppState {
        DisplayWidth.useUTF8Locale()
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        state.width = width
        state.height = height
        state.now = Date(timeIntervalSince1970: Double(base) / 1000 + 600)
        state.screen = .main
        var chat = ChatState(me: alice)
        chat.connection = .connected(server: "127.0.0.1:8090")
        chat.friends = [
            bob.id: Friend(user: bob, online: true),
            carol.id: Friend(user: carol, remark: "Carol 🎨", online: false),
            dave.id: Friend(user: dave, online: true),
        ]
        chat.conversations = [
            bob.id: Conversation(peerID: bob.id, lastMessage: bobMessages.last, lastSeq: 4, readSeq: 2),
            carol.id: Conversation(
                peerID: carol.id,
                lastMessage: message(9, from: carol, to: alice, seq: 1, "See you 👋", minutes: -60),
                lastSeq: 1,
                readSeq: 1
            ),
        ]
        chat.incomingRequests = [
            FriendRequest(from: UserSummary(id: 5, username: "erin"), to: alice, message: "Hi 🌸", createdAtMs: base)
        ]
        state.chat = chat
        state.selectedPeer = bob.id
        var view = ConversationView()
        view.merge(bobMessages)
        view.firstUnreadSeq = 3
        view.olderAvailable = false
        state.conversations[.direct(bob.id)] = view
        return state
    }

    // MARK: A group

    /// Not alice's friend: a member known by username only.
    static let erin = UserSummary(id: 6, username: "erin")
    static let teamID: GroupID = 7

    /// A message in "team", a minute apart from `base` as the others are.
    static func teamMessage(_ id: Int64, from: UserSummary, seq: UInt64, _ text: String, minutes: Int64) -> ChatMessage
    {
        var line = message(id, from: from, to: alice, seq: seq, text, minutes: minutes)
        line.recipientID = 0
        line.groupID = teamID
        return line
    }

    /// Its history: the server's line that made it, then bob's and erin's messages, bob's last
    /// naming alice.
    static let teamMessages: [ChatMessage] = {
        var created = teamMessage(20, from: alice, seq: 1, "alice created the group", minutes: 2)
        created.kind = .system
        var mention = teamMessage(23, from: bob, seq: 4, "@alice bring the map 🗺", minutes: 5)
        mention.mentions = [alice.id]
        return [
            created,
            teamMessage(21, from: bob, seq: 2, "Hike on Saturday?", minutes: 3),
            teamMessage(22, from: erin, seq: 3, "我也去！", minutes: 4),
            mention,
        ]
    }()

    /// `mainState` with the group "team" (alice owns it; bob and dave online, carol and erin
    /// not), first in the list with three unread messages, one naming alice, and its members
    /// loaded. Bob's conversation stays the open one.
    static func groupState(width: Int, height: Int) -> AppState {
        var state = mainState(width: width, height: height)
        let team = GroupSummary(
            id: teamID,
            name: "team",
            announcement: "Saturday: meet at the station at 8 🥾",
            ownerID: alice.id,
            memberCount: 5
        )
        state.chat?.groups[teamID] = GroupConversation(
            group: team,
            lastMessage: teamMessages.last,
            lastSeq: 4,
            readSeq: 1,
            unread: 3,
            mentioned: true
        )
        state.chat?.groupMembers[teamID] = [
            GroupMember(user: alice, online: true, joinedAtMs: base),
            GroupMember(user: bob, online: true, joinedAtMs: base),
            GroupMember(user: carol, online: false, joinedAtMs: base),
            GroupMember(user: dave, online: true, joinedAtMs: base),
            GroupMember(user: erin, online: false, joinedAtMs: base),
        ]
        var view = ConversationView()
        view.merge(teamMessages)
        view.olderAvailable = false
        state.conversations[.group(teamID)] = view
        return state
    }
}
