import ChatProtocol
import ChatServices

extension WireUser {
    init(_ record: UserRecord, includeEmail: Bool = false) {
        self.init()
        id = record.id
        username = record.username
        if includeEmail { email = record.email }
    }
}

extension WireChatMessage {
    init(_ record: MessageRecord) {
        self.init()
        id = record.id
        clientMsgID = record.clientMessageID
        senderID = record.senderID
        recipientID = record.recipientID
        seq = record.seq
        text = record.text
        sentAtMs = record.sentAtMs
        groupID = record.groupID
        kind = WireChatMessage.Kind(rawValue: record.kind.rawValue) ?? .text
        mentions = record.mentions
        mentionsAll = record.mentionsAll
        if let reply = record.reply {
            replyToSeq = reply.seq
            replyToSenderID = reply.senderID
            replyExcerpt = reply.excerpt
        }
        recalled = record.recalled
        recalledSeq = record.recalledSeq
        if let change = record.change {
            var wire = WireGroupChange()
            wire.kind = WireGroupChange.Kind(rawValue: change.kind.rawValue) ?? .unspecified
            wire.actorID = record.senderID
            wire.userIds = change.userIDs
            wire.value = change.value
            groupChange = wire
        }
    }
}

extension WireGroup {
    init(_ record: GroupRecord) {
        self.init()
        id = record.id
        name = record.name
        announcement = record.announcement
        ownerID = record.ownerID
        memberCount = UInt32(clamping: record.memberCount)
        createdAtMs = record.createdAtMs
    }
}

extension WireUpdate {
    init(_ record: UpdateRecord) {
        self.init()
        updateID = record.updateID
        switch record {
        case .message(_, let message):
            self.message = WireChatMessage(message)
        case .read(_, let peer, let seq):
            var mark = WireReadMark()
            mark.peerID = peer
            mark.seq = seq
            self.read = mark
        case .groupRead(_, let group, let seq):
            var mark = WireReadMark()
            mark.groupID = group
            mark.seq = seq
            self.read = mark
        case .peerRead(_, let peer, let seq):
            var mark = WireReadMark()
            mark.peerID = peer
            mark.seq = seq
            mark.byPeer = true
            self.read = mark
        case .groupChanged(_, let group):
            self.groupChanged = group
        case .muted(_, let conversation, let muted):
            var settings = WireConversationSettings()
            switch conversation {
            case .direct(let peer): settings.peerID = peer
            case .group(let group): settings.groupID = group
            }
            settings.muted = muted
            self.settings = settings
        }
    }
}

extension WireEnvelope {
    static func push(_ payload: WireEnvelope.OneOf_Payload) -> WireEnvelope {
        reply(to: 0, payload)
    }
}
