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
        }
    }
}

extension WireEnvelope {
    static func push(_ payload: WireEnvelope.OneOf_Payload) -> WireEnvelope {
        reply(to: 0, payload)
    }
}
