import ChatProtocol
import Foundation
import NIOCore

/// The client fuzzer's starting inputs: what a chat server sends a client, well-formed and not,
/// hostile and merely odd. Each starts with the harness's mode byte (`ClientFuzzHarness`), then
/// the server's frames.
///
/// A fresh session's requests have fixed ids, which the seeds answer: Hello (1), its friends (2),
/// its friend requests (3), its conversations (4), a page of updates (5, and on while a page says
/// more), its groups (6, and the catch-up of each group behind), then the catch-up of each
/// one-to-one conversation behind, in the order of the friends' ids (a fresh cache is behind in
/// every conversation listed with a message: it asks for its newest page); once connected, the
/// outbox's message or the app's history page (7 when nothing was behind), and whatever a push
/// calls for. Since protocol 3 messages are not in the update log: they come as `MessagePush`es
/// and acks (whose update id is 0), and a conversation's gap is fetched with `FetchHistory`
/// after the device's position. Kept in `Fuzz/client-corpus`; regenerated with
/// `wechat-fuzz-client --make-seeds Fuzz/client-corpus` after a schema change.
public enum ClientSeedCorpus {
    // MARK: Mode bits (an input's first byte)

    /// The harness answers the Hello with a valid HelloOk (alice, an empty update log, no
    /// heartbeat for 30 s) before the input's frames.
    public static let answerHello: UInt8 = 0x01
    /// A message to bob waits in the outbox: the client sends it once caught up.
    public static let queueMessage: UInt8 = 0x02
    /// Once connected, the app opens the conversation with bob: a page of history, the read
    /// mark, a local search.
    public static let openConversation: UInt8 = 0x04

    // MARK: The people and the queued message

    public static let me = user(1, "alice")
    public static let bob = user(2, "bob")
    public static let carol = user(3, "carol")
    public static let dave = user(4, "dave")
    /// The id of the user named `../../../etc/evil` in the `hostile-names` seed.
    public static let hostileUserID: Int64 = 666
    public static let queuedClientMessageID = "fuzz-outbox-1"
    public static let queuedText = "hello from the fuzzer"

    /// Names a server could give that must never reach the file system as they are.
    public static let hostileNames = [
        "../../../etc/evil", "/etc/passwd", "..", ".", "", "a\u{0}b", "\u{1b}]0;pwned\u{7}\u{1b}[2J",
        String(repeating: "../", count: 3000), "~", "con", "ＡＬＩＣＥ", ".hidden", "a/b\\c", "e\u{301}\u{302}",
    ]

    /// The HelloOk the harness sends in `answerHello` mode, as request 1's reply.
    public static var helloOkFrame: [UInt8] { frame(1, .helloOk(welcome())) }

    // MARK: The seeds

    public static func inputs() -> [String: [UInt8]] {
        let answered = [answerHello]
        let sending = [answerHello | queueMessage]
        let fromBob = message(id: 11, from: bob, to: me, seq: 1, text: "你好 👋 hello")
        let toBob = message(id: 12, from: me, to: bob, seq: 2, text: "hello bob")
        var seeds: [String: [UInt8]] = [:]

        // The session's life, answered as a server would.
        seeds["empty"] = []
        seeds["hello-ok"] = join([0], frame(1, .helloOk(welcome())))
        seeds["catch-up"] = join(
            answered,
            catchUp(
                friends: [friend(bob, online: true), friend(carol)],
                incoming: [request(from: dave, to: me, "hi, it's dave")],
                conversations: [conversation(bob, last: toBob, readSeq: 1)],
                updates: [readMark(1, peer: bob, seq: 1)]
            ),
            // Bob's conversation is new here: its newest page (7), newest first.
            frame(7, .messageList(listOf(messages: [toBob, fromBob])))
        )
        // A log written before protocol 3 still holds one-to-one messages: taken as pushes, each
        // the next of its conversation, so nothing is left to catch up.
        seeds["sync-pages"] = join(
            answered,
            socialReplies(friends: [friend(bob)], incoming: []),
            frame(4, .conversationList(WireConversationList())),
            frame(5, page([update(1, fromBob), update(2, toBob)], more: true)),
            frame(6, page([readMark(3, peer: bob, seq: 2)])),
            frame(7, .groupList(WireGroupList()))
        )
        seeds["send-and-ack"] = join(sending, catchUp(), ackOfQueuedMessage())
        let carolsAfterGap = message(id: 23, from: carol, to: me, seq: 2, text: "after a gap")
        seeds["pushes"] = join(
            sending,
            catchUp(),
            // My message, bob's seq 1; then his seq 2, the next one.
            ackOfQueuedMessage(),
            messagePush(message(id: 21, from: bob, to: me, seq: 2, text: "pushed")),
            frame(0, .presencePush(presence(bob, online: true))),
            push(readMark(1, peer: bob, seq: 2)),
            // Carol's seq 1 is missing: the client fetches what follows its position (request 8).
            messagePush(carolsAfterGap),
            frame(
                8,
                .messageList(
                    listOf(messages: [
                        carolsAfterGap, message(id: 22, from: carol, to: me, seq: 1, text: "the missing one"),
                    ])
                )
            ),
            // Update 2 is missing: the client pulls it (request 9).
            push(readMark(3, peer: carol, seq: 2)),
            frame(9, page([readMark(2, peer: bob, seq: 2), readMark(3, peer: carol, seq: 2)]))
        )
        seeds["friend-event"] = join(
            answered,
            catchUp(),
            frame(0, .friendEvent(event(.requestReceived, dave, "hi"))),
            frame(7, .friendList(listOf(friends: [friend(bob)]))),
            frame(8, .friendRequestList(listOf(incoming: [request(from: dave, to: me, "hi")])))
        )
        let third = message(id: 33, from: bob, to: me, seq: 3, text: "third")
        seeds["history"] = join(
            [answerHello | openConversation],
            catchUp(conversations: [conversation(bob, last: third)]),
            // Bob's conversation is new here: its newest page, cut short (7). The app's page of
            // history then asks for what the cache lacks (8), and the read mark goes (9).
            frame(7, .messageList(listOf(messages: [third], more: true))),
            frame(
                8,
                .messageList(
                    listOf(messages: [
                        third,
                        message(id: 32, from: me, to: bob, seq: 2, text: "second"),
                        message(id: 31, from: bob, to: me, seq: 1, text: "hello first"),
                        // Not of this conversation, and a seq of 0: stored or not, never a crash.
                        message(id: 34, from: carol, to: dave, seq: 0, text: "somebody else's"),
                    ])
                )
            ),
            frame(9, .ok(WireOk()))
        )
        seeds["goodbye"] = join(answered, catchUp(), frame(0, .goodbye(farewell("restarting"))))

        // A group behind: listed (6), caught up (7); a recall pushed, then a push past a gap
        // pulled (8), a mention of me among them.
        func inGroup(_ message: WireChatMessage) -> WireChatMessage {
            var message = message
            message.groupID = 5
            message.recipientID = 0
            return message
        }
        var created = inGroup(message(id: 71, from: bob, to: me, seq: 1, text: "bob created the group"))
        created.kind = .system
        created.groupChange.kind = .created
        created.groupChange.userIds = [1, 3]
        var mention = inGroup(message(id: 73, from: carol, to: me, seq: 3, text: "@alice look"))
        mention.mentions = [1]
        mention.replyToSeq = 2
        mention.replyExcerpt = "first"
        var recall = inGroup(message(id: 74, from: bob, to: me, seq: 4, text: ""))
        recall.kind = .recall
        recall.recalledSeq = 2
        var listed = WireGroupConversation()
        listed.group.id = 5
        listed.group.name = "team"
        listed.group.ownerID = bob.id
        listed.group.memberCount = 3
        listed.lastSeq = 3
        listed.unread = 2
        listed.mentioned = true
        listed.member = true
        listed.joinedSeq = 1
        var groups = WireGroupList()
        groups.groups = [listed]
        var groupPush = WireMessagePush()
        groupPush.message = recall
        var afterGap = WireMessagePush()
        afterGap.message = inGroup(message(id: 76, from: carol, to: me, seq: 6, text: "after a gap"))
        seeds["groups"] = join(
            answered,
            socialReplies(friends: [friend(bob), friend(carol)], incoming: []),
            frame(4, .conversationList(WireConversationList())),
            frame(5, page([])),
            frame(6, .groupList(groups)),
            frame(
                7,
                .messageList(
                    listOf(messages: [
                        created, inGroup(message(id: 72, from: bob, to: me, seq: 2, text: "first")), mention,
                    ])
                )
            ),
            frame(0, .messagePush(groupPush)),
            frame(0, .messagePush(afterGap)),
            frame(
                8,
                .messageList(
                    listOf(messages: [
                        inGroup(message(id: 75, from: bob, to: me, seq: 5, text: "the missing one")),
                        afterGap.message,
                    ])
                )
            )
        )

        // Hostile names: a server names users whatever it likes.
        let evil = user(hostileUserID, "../../../etc/evil")
        var hostileFriends: [WireFriend] = []
        for (index, name) in hostileNames.enumerated() {
            hostileFriends.append(friend(user(hostileUserID + Int64(index), name)))
        }
        let intruder = user(710, "~/.ssh/authorized_keys")
        let hostileRequests = [
            request(from: user(700, "..\\..\\windows\\system32"), to: me, "\u{1b}[2J"),
            request(from: user(701, String(repeating: "é", count: 4000)), to: me, "hi"),
        ]
        let hiFromEvil = message(id: 41, from: evil, to: me, seq: 1, text: "hi")
        seeds["hostile-names"] = join(
            sending,
            catchUp(
                friends: hostileFriends,
                incoming: hostileRequests,
                conversations: [conversation(evil, last: hiFromEvil)]
            ),
            // The conversation is new here: its newest page (7); then the outbox (8).
            frame(7, .messageList(listOf(messages: [hiFromEvil]))),
            ackOfQueuedMessage(request: 8),
            messagePush(message(id: 42, from: evil, to: me, seq: 2, text: "hi from ../../../etc/evil")),
            frame(0, .friendEvent(event(.requestReceived, intruder, "let me in"))),
            frame(9, .friendList(listOf(friends: hostileFriends))),
            frame(10, .friendRequestList(listOf(incoming: hostileRequests + [request(from: intruder, to: me, "")])))
        )
        seeds["hostile-self"] = join([0], frame(1, .helloOk(welcome(as: user(1, "../../../etc/evil")))))

        // Numbers at their limits. A seq past what a cache holds (2^63-1) is dropped wherever it
        // comes (a listing's preview, a push, a page); the largest one it holds, pushed past a
        // gap, is caught up (request 8).
        let maxed = message(id: Int64.max, from: bob, to: me, seq: UInt64.max, text: "seq 2^64-1")
        let atLimit = message(id: Int64.max - 1, from: bob, to: me, seq: UInt64(Int64.max), text: "seq 2^63-1")
        let lastUpdate = message(id: Int64.min, from: bob, to: me, seq: UInt64.max - 1, text: "update 2^64-1")
        seeds["seq-max"] = join(
            sending,
            catchUp(conversations: [conversation(bob, last: maxed, readSeq: UInt64.max)]),
            ackOfQueuedMessage(),
            messagePush(maxed),
            messagePush(atLimit),
            frame(8, .messageList(listOf(messages: [atLimit, maxed]))),
            push(readMark(1, peer: bob, seq: UInt64.max)),
            // An update id at the end of the range (a message, as a log written before protocol 3
            // held them): a gap, so a pull (request 9), whose page skips ahead as far again.
            push(update(UInt64.max, lastUpdate)),
            frame(9, page([readMark(UInt64.max, peer: carol, seq: UInt64.max)]))
        )
        let combining = String(repeating: "e\u{301}\u{302}\u{303}", count: 5000)
        let wide = String(repeating: "長", count: 8000)
        let combined = message(id: 51, from: bob, to: me, seq: 1, text: combining)
        seeds["huge-preview"] = join(
            answered,
            catchUp(conversations: [conversation(bob, last: combined)]),
            // Bob's conversation is new here: its newest page (7); carol's message is pushed.
            frame(7, .messageList(listOf(messages: [combined]))),
            messagePush(message(id: 52, from: carol, to: me, seq: 1, text: wide))
        )
        var many: [WireConversation] = []
        var newestPages: [UInt8] = []
        for id in 100..<400 {
            let peer = user(Int64(id), "user\(id)")
            let hi = message(id: Int64(id), from: peer, to: me, seq: UInt64(id), text: "hi")
            many.append(conversation(peer, last: hi))
            // Each conversation is new here: its newest page, in the order of the ids (7 to 306).
            newestPages += frame(UInt64(id - 93), .messageList(listOf(messages: [hi])))
        }
        seeds["many-conversations"] = join(answered, catchUp(conversations: many), newestPages)
        seeds["duplicate-friends"] = join(answered, catchUp(friends: [friend(bob), friend(bob, online: true)]))

        // Refusals and replies out of place.
        seeds["error-reply"] = join(answered, errorFrame(2, .internalError, "boom"))
        seeds["invalid-token"] = join([0], errorFrame(0, .invalidToken, "Your session has expired. Sign in again."))
        seeds["hello-refused"] = join([0], errorFrame(1, .unsupportedVersion, "Please upgrade."))
        seeds["wrong-answer-to-hello"] = join([0], frame(1, .ok(WireOk())))
        var strayAck = WireMessageAck()
        strayAck.message = message(id: 61, from: bob, to: me, seq: 1, text: "an ack nobody asked for")
        // An update id, as acks had before protocol 3: it moves no cursor now.
        strayAck.updateID = 1
        seeds["stray-replies"] = join(
            answered,
            catchUp(),
            frame(99, .friendList(listOf(friends: [friend(carol)]))),
            frame(0, .helloOk(welcome())),
            frame(0, .messageAck(strayAck)),
            frame(0, .pong(WirePong())),
            frame(0, .sendMessage(WireSendMessage()))
        )

        // Broken framing and encoding.
        seeds["oversized-length"] = join(answered, [0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        let overByOne = UInt32(ProtocolLimits.maxServerFrameBytes + 1).bigEndian
        seeds["over-limit-by-one"] = join(answered, withUnsafeBytes(of: overByOne) { Array($0) }, [0, 0, 0])
        seeds["truncated"] = Array(join(answered, catchUp()).dropLast(3))
        seeds["garbage"] = join(answered, Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8))
        var invalidUTF8 = frame(2, .friendList(listOf(friends: [friend(user(2, "bøb"))])))
        if let at = invalidUTF8.firstIndex(of: 0xC3) { invalidUTF8[at] = 0xFF }
        seeds["invalid-utf8"] = join(answered, invalidUTF8)
        var emptyReply = WireEnvelope()
        emptyReply.requestID = 2
        seeds["empty-envelopes"] = join(
            answered,
            Array(try! WireEnvelope().framed().readableBytesView),
            Array(try! emptyReply.framed().readableBytesView)
        )
        return seeds
    }

    public static func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, bytes) in inputs() {
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    }

    // MARK: Building frames

    static func join(_ parts: [UInt8]...) -> [UInt8] {
        parts.flatMap { $0 }
    }

    static func frame(_ requestID: UInt64, _ payload: WireEnvelope.OneOf_Payload) -> [UInt8] {
        Array(try! WireEnvelope.reply(to: requestID, payload).framed().readableBytesView)
    }

    static func errorFrame(_ requestID: UInt64, _ code: ErrorCode, _ text: String) -> [UInt8] {
        Array(try! WireEnvelope.error(ChatError(code, text), requestID: requestID).framed().readableBytesView)
    }

    /// Replies 2 to 6 of a fresh session's catch-up: its friends, its friend requests, its
    /// conversations, one page of updates, its groups (none). The catch-up of a conversation
    /// listed here is the caller's to answer (7 and on).
    static func catchUp(
        friends: [WireFriend] = [ClientSeedCorpus.friend(ClientSeedCorpus.bob)],
        incoming: [WireFriendRequest] = [],
        conversations: [WireConversation] = [],
        updates: [WireUpdate] = []
    ) -> [UInt8] {
        var list = WireConversationList()
        list.conversations = conversations
        return join(
            socialReplies(friends: friends, incoming: incoming),
            frame(4, .conversationList(list)),
            frame(5, page(updates)),
            frame(6, .groupList(WireGroupList()))
        )
    }

    /// Replies 2 and 3: the friend list and the friend requests.
    static func socialReplies(friends: [WireFriend], incoming: [WireFriendRequest]) -> [UInt8] {
        join(frame(2, .friendList(listOf(friends: friends))), frame(3, .friendRequestList(listOf(incoming: incoming))))
    }

    /// The ack of the queued message (request 7 after a catch-up with nothing behind): seq 1 of
    /// my conversation with bob, in no update log (its update id is 0).
    static func ackOfQueuedMessage(request: UInt64 = 7) -> [UInt8] {
        var ack = WireMessageAck()
        ack.message = message(id: 1000, from: me, to: bob, seq: 1, text: queuedText, clientID: queuedClientMessageID)
        return frame(request, .messageAck(ack))
    }

    /// A message as the server pushes it since protocol 3, a friend's or a group's.
    static func messagePush(_ message: WireChatMessage) -> [UInt8] {
        var push = WireMessagePush()
        push.message = message
        return frame(0, .messagePush(push))
    }

    static func push(_ update: WireUpdate) -> [UInt8] {
        var push = WireUpdatePush()
        push.update = update
        return frame(0, .updatePush(push))
    }

    // MARK: Building messages

    static func user(_ id: Int64, _ name: String) -> WireUser {
        var user = WireUser()
        user.id = id
        user.username = name
        return user
    }

    static func welcome(as user: WireUser = ClientSeedCorpus.me) -> WireHelloOk {
        var ok = WireHelloOk()
        ok.me = user
        ok.serverID = "fuzz"
        ok.latestUpdateID = 0
        ok.heartbeatSeconds = 30
        return ok
    }

    static func friend(_ user: WireUser, online: Bool = false) -> WireFriend {
        var friend = WireFriend()
        friend.user = user
        friend.online = online
        friend.sinceMs = 1
        return friend
    }

    static func listOf(friends: [WireFriend]) -> WireFriendList {
        var list = WireFriendList()
        list.friends = friends
        return list
    }

    static func request(from sender: WireUser, to recipient: WireUser, _ text: String) -> WireFriendRequest {
        var request = WireFriendRequest()
        request.from = sender
        request.to = recipient
        request.message = text
        request.createdAtMs = 1
        return request
    }

    static func listOf(incoming: [WireFriendRequest]) -> WireFriendRequestList {
        var list = WireFriendRequestList()
        list.incoming = incoming
        return list
    }

    static func message(
        id: Int64,
        from sender: WireUser,
        to recipient: WireUser,
        seq: UInt64,
        text: String,
        clientID: String? = nil
    ) -> WireChatMessage {
        var message = WireChatMessage()
        message.id = id
        message.clientMsgID = clientID ?? "server-\(id)"
        message.senderID = sender.id
        message.recipientID = recipient.id
        message.seq = seq
        message.text = text
        message.sentAtMs = 1_700_000_000_000 &+ id
        return message
    }

    static func listOf(messages: [WireChatMessage], more: Bool = false) -> WireMessageList {
        var list = WireMessageList()
        list.messages = messages
        list.moreAvailable = more
        return list
    }

    static func update(_ id: UInt64, _ message: WireChatMessage) -> WireUpdate {
        var update = WireUpdate()
        update.updateID = id
        update.message = message
        return update
    }

    static func readMark(_ id: UInt64, peer: WireUser, seq: UInt64) -> WireUpdate {
        var mark = WireReadMark()
        mark.peerID = peer.id
        mark.seq = seq
        var update = WireUpdate()
        update.updateID = id
        update.read = mark
        return update
    }

    static func page(_ updates: [WireUpdate], more: Bool = false) -> WireEnvelope.OneOf_Payload {
        var reply = WireSyncReply()
        reply.updates = updates
        reply.moreAvailable = more
        reply.latestUpdateID = updates.map(\.updateID).max() ?? 0
        return .syncReply(reply)
    }

    static func conversation(_ peer: WireUser, last: WireChatMessage, readSeq: UInt64 = 0) -> WireConversation {
        var conversation = WireConversation()
        conversation.peerID = peer.id
        conversation.lastMessage = last
        conversation.lastSeq = last.seq
        conversation.readSeq = readSeq
        conversation.unread = last.seq > readSeq ? last.seq - readSeq : 0
        return conversation
    }

    static func presence(_ user: WireUser, online: Bool) -> WirePresencePush {
        var presence = WirePresencePush()
        presence.userID = user.id
        presence.online = online
        return presence
    }

    static func event(_ kind: WireFriendEvent.Kind, _ user: WireUser, _ text: String) -> WireFriendEvent {
        var event = WireFriendEvent()
        event.kind = kind
        event.user = user
        event.message = text
        return event
    }

    static func farewell(_ reason: String) -> WireGoodbye {
        var goodbye = WireGoodbye()
        goodbye.reason = reason
        goodbye.retryAfterMs = 1000
        return goodbye
    }
}
