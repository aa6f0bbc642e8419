import ChatProtocol
import Foundation
import NIOCore

/// The fuzzer's starting inputs: one well-formed connection stream per kind of request, a few
/// with several frames, and the malformed shapes the hostile-input tests use. Kept in
/// `Fuzz/corpus`; regenerated with `wechat-fuzz --make-seeds Fuzz/corpus` after a schema change.
public enum SeedCorpus {
    public static func inputs() -> [String: [UInt8]] {
        func frames(_ payloads: [WireEnvelope.OneOf_Payload]) -> [UInt8] {
            payloads.enumerated().flatMap { index, payload -> [UInt8] in
                let frame = try! WireEnvelope.reply(to: UInt64(index + 1), payload).framed()
                return Array(frame.readableBytesView)
            }
        }
        var hello = WireHello()
        hello.protocolVersion = ProtocolLimits.protocolVersion
        hello.token = "not-a-real-token"
        hello.deviceID = "fuzz"
        var send = WireSendMessage()
        send.toUserID = 2
        send.clientMsgID = "seed-1"
        send.text = "你好 👋 hello"
        var toStranger = send
        toStranger.toUserID = 3
        toStranger.clientMsgID = "seed-2"
        var search = WireSearchUsers()
        search.query = "bob"
        var request = WireSendFriendRequest()
        request.toUserID = 3
        request.message = "hi"
        var respond = WireRespondFriendRequest()
        respond.fromUserID = 3
        respond.accept = true
        var remove = WireRemoveFriend()
        remove.userID = 2
        var block = WireSetBlocked()
        block.userID = 2
        block.blocked = true
        var remark = WireSetRemark()
        remark.userID = 2
        remark.remark = "老朋友"
        var history = WireFetchHistory()
        history.peerID = 2
        history.limit = 50
        var sync = WireSync()
        sync.afterUpdateID = 0
        var read = WireMarkRead()
        read.peerID = 2
        read.seq = 1
        // Group 1 (alice, bob, dave; alice owns it: see ChatFuzzHarness).
        var toGroup = WireSendMessage()
        toGroup.groupID = 1
        toGroup.clientMsgID = "seed-group-1"
        toGroup.text = "@bob hello group"
        toGroup.mentions = [2]
        var replyInGroup = toGroup
        replyInGroup.clientMsgID = "seed-group-2"
        replyInGroup.replyToSeq = 2
        replyInGroup.mentionsAll = true
        var create = WireCreateGroup()
        create.name = "新群 team"
        create.memberIds = [2, 4]
        var invite = WireInviteToGroup()
        invite.groupID = 1
        invite.userIds = [3]
        var rename = WireEditGroup()
        rename.groupID = 1
        rename.name = "renamed"
        var groupHistory = WireFetchHistory()
        groupHistory.groupID = 1
        groupHistory.afterSeq = 1
        var groupRead = WireMarkRead()
        groupRead.groupID = 1
        groupRead.seq = 2
        var recall = WireRecallMessage()
        recall.groupID = 1
        recall.seq = 2
        var mute = WireSetMuted()
        mute.groupID = 1
        mute.muted = true
        var typing = WireSetTyping()
        typing.groupID = 1
        var readCount = WireGetReadCount()
        readCount.groupID = 1
        readCount.seq = 2
        var getGroup = WireGetGroup()
        getGroup.groupID = 1
        var removeMember = WireRemoveGroupMember()
        removeMember.groupID = 1
        removeMember.userID = 4
        var seeds: [String: [UInt8]] = [
            "group-talk": frames([
                .sendMessage(toGroup), .sendMessage(replyInGroup), .fetchHistory(groupHistory), .markRead(groupRead),
                .getReadCount(readCount), .recallMessage(recall), .listGroups(WireListGroups()),
            ]),
            "group-admin": frames([
                .createGroup(create), .inviteToGroup(invite), .editGroup(rename), .getGroup(getGroup),
                .removeGroupMember(removeMember),
            ]),
            "group-settings": frames([
                .setMuted(mute), .setTyping(typing), .setSendReadReceipts(WireSetSendReadReceipts()),
            ]),
            "hello": frames([.hello(hello)]),
            "ping": frames([.ping(WirePing())]),
            "send-message": frames([.sendMessage(send)]),
            "send-to-stranger": frames([.sendMessage(toStranger)]),
            "search": frames([.searchUsers(search)]),
            "friend-request": frames([.sendFriendRequest(request)]),
            "respond": frames([.respondFriendRequest(respond)]),
            "list-requests": frames([.listFriendRequests(WireListFriendRequests())]),
            "remove": frames([.removeFriend(remove)]),
            "block": frames([.setBlocked(block)]),
            "remark": frames([.setRemark(remark)]),
            "friends": frames([.listFriends(WireListFriends())]),
            "history": frames([.fetchHistory(history)]),
            "sync": frames([.sync(sync)]),
            "mark-read": frames([.markRead(read)]),
            "conversations": frames([.listConversations(WireListConversations())]),
            "conversation": frames([
                .sendMessage(send), .fetchHistory(history), .markRead(read), .sync(sync),
                .listConversations(WireListConversations()),
            ]),
            "server-only-frame": frames([.ok(WireOk())]),
            "empty-envelope": Array(try! WireEnvelope().framed().readableBytesView),
            "oversized-length": [0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3],
            "truncated": Array(frames([.sendMessage(send)]).dropLast(3)),
            "garbage": Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
        ]
        var invalidUTF8 = frames([.sendMessage(send)])
        if let at = invalidUTF8.firstIndex(of: 0xE4) { invalidUTF8[at] = 0xFF }
        seeds["invalid-utf8"] = invalidUTF8
        return seeds
    }

    public static func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, bytes) in inputs() {
            try Data(bytes).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    }

    /// The regular files at `path` (itself, or the files in it), sorted.
    public static func files(at path: String) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.sorted().map { path + "/" + $0 }
    }
}
