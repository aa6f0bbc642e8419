import ChatProtocol
import ChatServices

/// Recall, mute, typing and "read by N": what a person does to a message or a conversation
/// besides sending.
extension ChatRequestHandler {
    /// The recall line travels as a message does (the ack to the caller, pushes to everyone
    /// else's devices), so every device that syncs it blanks the original.
    func recall(_ request: WireRecallMessage, by user: UserID) async throws -> WireMessageAck {
        let conversation = try Self.conversation(peer: request.peerID, group: request.groupID)
        let committed = try await messages.recall(seq: request.seq, in: conversation, by: user, nowMs: clock.nowMs())
        if !committed.duplicate {
            logger.info("message recalled", metadata: ["user": "\(user)", "seq": "\(request.seq)"])
        }
        return delivered(committed, sentOn: nil)
    }

    func setMuted(_ request: WireSetMuted, by user: UserID) async throws {
        let conversation = try Self.conversation(peer: request.peerID, group: request.groupID)
        if case .direct(let peer) = conversation, !(try await social.areFriends(user, peer)) {
            throw ChatError(.notFriends, "You can only mute a conversation with a friend.")
        }
        pushUpdate(try await messages.setMuted(request.muted, conversation, user: user), to: user)
    }

    /// Never stored: pushed to whoever is online in the conversation, and gone. Limited per
    /// user (`typingPerUser`), since one frame reaches a whole group.
    func typing(_ request: WireSetTyping, by user: UserID) async throws {
        if let wait = limiter.takeWithoutWaiting("typing:\(user)", limit: limits.typingPerUser) {
            throw ChatError.rateLimited("Typing notices are limited.", retryAfter: wait)
        }
        var push = WireTypingPush()
        push.userID = user
        switch try Self.conversation(peer: request.peerID, group: request.groupID) {
        case .direct(let peer):
            // Only between friends, and not through a block (which would tell of it).
            guard try await social.areFriends(user, peer), !(try await social.isBlockedEitherWay(user, peer)) else {
                throw ChatError(.notFriends, "You can only message your friends.")
            }
            self.push(.typingPush(push), to: peer)
        case .group(let group):
            let members = try await groups.memberIDs(of: group)
            guard members.contains(user) else { throw ChatError(.notAMember, "You are not in that group.") }
            push.groupID = group
            guard let frame = try? WireEnvelope.push(.typingPush(push)).framed() else { return }
            for member in members where member != user {
                router.push(frame, to: member)
            }
        }
    }

    func readCount(_ request: WireGetReadCount, asker: UserID) async throws -> WireReadCount {
        let count = try await groups.readCount(of: request.groupID, seq: request.seq, asker: asker)
        var reply = WireReadCount()
        reply.read = UInt32(clamping: count.read)
        reply.members = UInt32(clamping: count.members)
        return reply
    }

    /// A request names a friend or a group: exactly one of them.
    static func conversation(peer: UserID, group: GroupID) throws -> ConversationRef {
        switch (peer, group) {
        case (let peer, 0) where peer > 0: return .direct(peer)
        case (0, let group) where group > 0: return .group(group)
        default: throw ChatError(.badRequest, "Name a friend or a group.")
        }
    }
}
