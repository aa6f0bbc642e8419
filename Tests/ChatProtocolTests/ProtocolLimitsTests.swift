import Foundation
import Testing

@testable import ChatProtocol

/// The caps that keep every list one frame: the largest reply each allows, built at its worst
/// (longest names, remarks, messages and previews), must fit `maxServerFrameBytes`.
@Suite struct ProtocolLimitsTests {
    /// A username as long as allowed, of 4-byte characters (usernames are ASCII today; this is
    /// the worst the wire could carry).
    static let longestName = String(repeating: "😀", count: AccountRules.usernameLength.upperBound)
    static let longestShortText = String(repeating: "x", count: ProtocolLimits.maxShortTextBytes)

    static func user(_ id: Int64) -> WireUser {
        var user = WireUser()
        user.id = Int64.max - id
        user.username = longestName
        return user
    }

    static func frameBytes(_ payload: WireEnvelope.OneOf_Payload) throws -> Int {
        var envelope = WireEnvelope()
        envelope.requestID = .max
        envelope.payload = payload
        return try envelope.serializedData().count
    }

    @Test func theLongestFriendListFitsOneFrame() throws {
        var list = WireFriendList()
        list.friends = (0..<ProtocolLimits.maxFriends).map { index in
            var friend = WireFriend()
            friend.user = Self.user(Int64(index))
            friend.online = true
            friend.remark = Self.longestShortText
            friend.blockedByMe = true
            friend.sinceMs = .max
            return friend
        }
        let bytes = try Self.frameBytes(.friendList(list))
        #expect(bytes < ProtocolLimits.maxServerFrameBytes, "\(bytes) bytes")
    }

    @Test func theLongestRequestListFitsOneFrame() throws {
        var request = WireFriendRequest()
        request.from = Self.user(1)
        request.to = Self.user(2)
        request.message = Self.longestShortText
        request.createdAtMs = .max
        var list = WireFriendRequestList()
        list.incoming = Array(repeating: request, count: ProtocolLimits.maxListedRequests)
        list.outgoing = Array(repeating: request, count: ProtocolLimits.maxListedRequests)
        list.moreIncoming = .max
        let bytes = try Self.frameBytes(.friendRequestList(list))
        #expect(bytes < ProtocolLimits.maxServerFrameBytes, "\(bytes) bytes")
    }

    /// A conversation page is cut by count and by bytes; at its count cap, with every preview
    /// as long as a preview gets, it still fits.
    @Test func theLongestConversationPageFitsOneFrame() throws {
        var message = WireChatMessage()
        message.id = .max
        message.clientMsgID = String(repeating: "c", count: ProtocolLimits.maxClientMessageIDBytes)
        message.senderID = .max
        message.recipientID = .max
        message.seq = .max
        message.text = String(repeating: "\u{0301}", count: 10_000).previewCut()
        message.sentAtMs = .max
        #expect(message.text.utf8.count <= ProtocolLimits.previewBytes)
        var conversation = WireConversation()
        conversation.peerID = .max
        conversation.lastMessage = message
        conversation.lastSeq = .max
        conversation.readSeq = .max
        conversation.unread = .max
        var list = WireConversationList()
        list.conversations = Array(repeating: conversation, count: 1_000)
        list.moreAvailable = true
        let bytes = try Self.frameBytes(.conversationList(list))
        #expect(bytes < ProtocolLimits.maxServerFrameBytes, "\(bytes) bytes")
    }
}
