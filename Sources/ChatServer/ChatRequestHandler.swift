import ChatProtocol
import ChatServices
import Logging
import NIOCore

/// What a chat server does for an authenticated user: friends, messages, history, sync.
///
/// Every operation acts as `user`, the session's authenticated user; no field a client sends can
/// make it act as someone else. It holds no per-connection state, so one instance serves all.
/// `package`: the fuzz harness (`ChatFuzzing`) drives it directly.
package struct ChatRequestHandler: Sendable {
    let users: UserStore
    let social: SocialStore
    let messages: MessageStore
    let groups: GroupStore
    let status: StatusService
    let router: PushRouter
    let limiter: RateLimiter
    let limits: RateLimitPolicy
    let clock: WallClock
    let logger: Logger
    /// Group messages' pushes, in commit order per group, off the connection's event loop.
    let fanout: GroupFanout

    package init(dependencies: ChatServer.Dependencies, limits: RateLimitPolicy, logger: Logger) {
        users = dependencies.users
        social = dependencies.social
        messages = dependencies.messages
        groups = dependencies.groups
        status = dependencies.status
        router = dependencies.router
        limiter = dependencies.limiter
        clock = dependencies.clock
        self.limits = limits
        self.logger = logger
        self.fanout = GroupFanout(groups: dependencies.groups, router: dependencies.router, logger: logger)
    }

    package func handle(
        _ payload: WireEnvelope.OneOf_Payload,
        from user: UserID
    ) async throws -> WireEnvelope.OneOf_Payload {
        switch payload {
        case .sendMessage, .setTyping:
            // Messages have their own, larger budget (`messagesPerUser`); typing its own.
            break
        default:
            if let wait = limiter.takeWithoutWaiting("requests:\(user)", limit: limits.requestsPerUser) {
                throw ChatError.rateLimited("Too many requests.", retryAfter: wait)
            }
        }
        switch payload {
        case .ping:
            var pong = WirePong()
            pong.latestUpdateID = try await messages.latestUpdateID(of: user)
            pong.groupSeqSum = try await groups.groupSeqSum(of: user)
            pong.directSeqSum = try await messages.directSeqSum(of: user)
            return .pong(pong)
        case .searchUsers(let request):
            return .userList(try await searchUsers(request))
        case .sendFriendRequest(let request):
            try await sendFriendRequest(request, from: user)
            return .ok(WireOk())
        case .respondFriendRequest(let request):
            try await respondFriendRequest(request, by: user)
            return .ok(WireOk())
        case .cancelFriendRequest(let request):
            try await cancelFriendRequest(to: request.toUserID, by: user)
            return .ok(WireOk())
        case .listFriendRequests:
            return .friendRequestList(try await friendRequests(of: user))
        case .removeFriend(let request):
            try await removeFriend(request.userID, by: user)
            return .ok(WireOk())
        case .setBlocked(let request):
            try await setBlocked(request, by: user)
            return .ok(WireOk())
        case .setRemark(let request):
            try await setRemark(request, by: user)
            return .ok(WireOk())
        case .listFriends:
            return .friendList(try await friends(of: user))
        case .sendMessage(let request):
            return .messageAck(try await sendMessage(request, from: user))
        case .fetchHistory(let request):
            return .messageList(try await history(request, of: user))
        case .sync(let request):
            return .syncReply(try await sync(request, of: user))
        case .markRead(let request):
            try await markRead(request, by: user)
            return .ok(WireOk())
        case .listConversations(let request):
            return .conversationList(try await conversations(of: user, request))
        case .setFindableByEmail(let request):
            try await users.setFindableByEmail(userID: user, request.findable)
            return .ok(WireOk())
        case .createGroup(let request):
            return .groupInfo(try await createGroup(request, by: user))
        case .inviteToGroup(let request):
            try await invite(request, by: user)
            return .ok(WireOk())
        case .leaveGroup(let request):
            try await removeMember(user, from: request.groupID, by: user)
            return .ok(WireOk())
        case .removeGroupMember(let request):
            try await removeMember(request.userID, from: request.groupID, by: user)
            return .ok(WireOk())
        case .editGroup(let request):
            try await editGroup(request, by: user)
            return .ok(WireOk())
        case .getGroup(let request):
            return .groupInfo(try await groupInfo(request.groupID, for: user))
        case .listGroups:
            return .groupList(try await groupList(of: user))
        case .recallMessage(let request):
            return .messageAck(try await recall(request, by: user))
        case .setMuted(let request):
            try await setMuted(request, by: user)
            return .ok(WireOk())
        case .setTyping(let request):
            try await typing(request, by: user)
            return .ok(WireOk())
        case .getReadCount(let request):
            return .readCount(try await readCount(request, asker: user))
        case .setSendReadReceipts(let request):
            try await users.setSendsReadReceipts(userID: user, request.enabled)
            return .ok(WireOk())
        case .hello:
            throw ChatError(.badRequest, "This connection has already said hello.")
        default:
            throw ChatError(.badRequest, "That frame is not a request a client can send.")
        }
    }

    // MARK: People

    func searchUsers(_ request: WireSearchUsers) async throws -> WireUserList {
        let query = request.query.trimmingCharacters(in: .whitespaces)
        guard !query.isEmpty, query.unicodeScalars.count <= AccountRules.emailMaxLength else {
            throw ChatError(.badRequest, "Search for a username or an email address.")
        }
        let found = try await users.searchUsers(
            query: AccountRules.normalizedQuery(query),
            limit: Self.pageSize(request.limit)
        )
        var list = WireUserList()
        list.users = found.map { WireUser($0) }
        return list
    }

    func sendFriendRequest(_ request: WireSendFriendRequest, from user: UserID) async throws {
        let target = request.toUserID
        guard target != user else { throw ChatError(.cannotFriendSelf, "You cannot add yourself as a friend.") }
        try AccountRules.validateText(
            request.message,
            maxBytes: ProtocolLimits.maxShortTextBytes,
            what: "A request message"
        )
        guard let targetUser = try await users.user(id: target), let me = try await users.user(id: user) else {
            throw ChatError(.notFound, "There is no such user.")
        }
        if try await social.areFriends(user, target) {
            throw ChatError(.alreadyFriends, "You are already friends with \(targetUser.username).")
        }
        if try await social.hasBlocked(user, target) {
            throw ChatError(.blocked, "You blocked \(targetUser.username). Unblock them to send a request.")
        }
        // Before the check for a block by them, so the answer is the same either way.
        try await checkRoomForFriend(user, target, targetName: targetUser.username)
        try await limiter.enforce(
            "friend-requests:\(user)",
            limit: limits.friendRequestsPerUser,
            "You have sent too many friend requests today."
        )
        if try await social.hasBlocked(target, user) {
            // They blocked the sender: the answer is the same as for anyone else (a block is
            // not announced), and the request is kept but never shown to them (see
            // `friendRequests(of:)`).
            try await social.upsertRequest(
                FriendRequestRecord(fromID: user, toID: target, message: request.message, createdAtMs: clock.nowMs())
            )
            pushFriendEvent(.friendsChanged, about: targetUser, to: user)
            return
        }
        // They asked first: asking back is saying yes (decided in the store, atomically, so two
        // people asking each other at the same instant become friends).
        let outcome = try await social.sendRequest(
            FriendRequestRecord(fromID: user, toID: target, message: request.message, createdAtMs: clock.nowMs())
        )
        switch outcome {
        case .alreadyFriends:
            throw ChatError(.alreadyFriends, "You are already friends with \(targetUser.username).")
        case .befriended:
            pushFriendEvent(.requestAccepted, about: me, to: target)
            pushFriendEvent(.requestAccepted, about: targetUser, to: user)
        case .requested:
            pushFriendEvent(.requestReceived, about: me, to: target, message: request.message)
            pushFriendEvent(.friendsChanged, about: targetUser, to: user)
        }
    }

    /// Refuses a new friendship past `ProtocolLimits.maxFriends` on either side: the friend list
    /// is one reply, and the cap keeps it within a frame.
    func checkRoomForFriend(_ user: UserID, _ other: UserID, targetName: String) async throws {
        if try await social.friendIDs(of: user).count >= ProtocolLimits.maxFriends {
            throw ChatError(
                .limitReached,
                "You have \(ProtocolLimits.maxFriends) friends, the most anyone can have; remove one first."
            )
        }
        if try await social.friendIDs(of: other).count >= ProtocolLimits.maxFriends {
            throw ChatError(.limitReached, "\(targetName) has as many friends as anyone can have.")
        }
    }

    func respondFriendRequest(_ request: WireRespondFriendRequest, by user: UserID) async throws {
        guard try await social.request(from: request.fromUserID, to: user) != nil,
            let requester = try await users.user(id: request.fromUserID),
            let me = try await users.user(id: user)
        else { throw ChatError(.noSuchRequest, "There is no friend request from that user.") }
        // Blocked since it was sent, either way: the request is gone, as if withdrawn.
        if try await social.isBlockedEitherWay(user, requester.id) {
            _ = try await social.deleteRequest(from: requester.id, to: user)
            pushFriendEvent(.friendsChanged, about: requester, to: user)
            throw ChatError(.noSuchRequest, "There is no friend request from that user.")
        }
        if request.accept {
            try await checkRoomForFriend(user, requester.id, targetName: requester.username)
            try await social.makeFriends(user, requester.id, nowMs: clock.nowMs())
            pushFriendEvent(.requestAccepted, about: me, to: requester.id)
        } else {
            _ = try await social.deleteRequest(from: requester.id, to: user)
            pushFriendEvent(.requestRejected, about: me, to: requester.id)
        }
        pushFriendEvent(.friendsChanged, about: requester, to: user)
    }

    /// Withdraws the request `user` sent to `target`. Both lists change: the recipient's as if
    /// the request had never come (no notice), the sender's other devices as on this one.
    /// Idempotent: withdrawing a request that is not there (answered, withdrawn, or taken away by
    /// the recipient's block) answers like withdrawing one that is, so the answer cannot tell
    /// a sender they were blocked.
    func cancelFriendRequest(to target: UserID, by user: UserID) async throws {
        let withdrawn = try await social.deleteRequest(from: user, to: target)
        // A recipient who blocked the sender never saw the request: nothing of theirs changed.
        if withdrawn, !(try await social.hasBlocked(target, user)), let me = try await users.user(id: user) {
            pushFriendEvent(.friendsChanged, about: me, to: target)
        }
        if let other = try await users.user(id: target) {
            pushFriendEvent(.friendsChanged, about: other, to: user)
        }
    }

    func friendRequests(of user: UserID) async throws -> WireFriendRequestList {
        // Requests from people this user blocked are kept from them (their senders are not told):
        // the store leaves them out.
        let listed = ProtocolLimits.maxListedRequests
        let incoming = try await social.incomingRequests(of: user, limit: listed)
        let unlisted = incoming.count < listed ? 0 : try await social.incomingRequestCount(of: user) - listed
        let outgoing = Array(try await social.outgoingRequests(of: user).prefix(listed))
        let people = try await users.users(ids: incoming.map(\.fromID) + outgoing.map(\.toID) + [user])
        func wire(_ record: FriendRequestRecord) -> WireFriendRequest? {
            guard let from = people[record.fromID], let to = people[record.toID] else { return nil }
            var request = WireFriendRequest()
            request.from = WireUser(from)
            request.to = WireUser(to)
            request.message = record.message
            request.createdAtMs = record.createdAtMs
            return request
        }
        var list = WireFriendRequestList()
        list.incoming = incoming.compactMap(wire)
        list.outgoing = outgoing.compactMap(wire)
        list.moreIncoming = UInt32(clamping: max(0, unlisted))
        return list
    }

    func removeFriend(_ friend: UserID, by user: UserID) async throws {
        guard try await social.removeFriendship(user, friend) else {
            throw ChatError(.notFriends, "You are not friends with that user.")
        }
        if let me = try await users.user(id: user) {
            pushFriendEvent(.friendRemoved, about: me, to: friend)
        }
        if let other = try await users.user(id: friend) {
            pushFriendEvent(.friendsChanged, about: other, to: user)
        }
    }

    func setBlocked(_ request: WireSetBlocked, by user: UserID) async throws {
        guard request.userID != user, let other = try await users.user(id: request.userID) else {
            throw ChatError(.notFound, "There is no such user.")
        }
        try await social.setBlocked(blocker: user, blocked: other.id, request.blocked)
        if request.blocked {
            // A blocked person's pending request goes away with the block.
            _ = try await social.deleteRequest(from: other.id, to: user)
        }
        logger.info(
            request.blocked ? "user blocked" : "user unblocked",
            metadata: ["user": "\(user)", "other": "\(other.id)"]
        )
        pushFriendEvent(.friendsChanged, about: other, to: user)
        // A blocked friend stops seeing this user online (and sees them again on unblocking).
        if try await social.areFriends(user, other.id) {
            let isOnline = !(await status.onlineUsers(among: [user])).isEmpty
            let online = !request.blocked && isOnline
            pushPresence(of: user, online: online, to: [other.id])
        }
    }

    func setRemark(_ request: WireSetRemark, by user: UserID) async throws {
        try AccountRules.validateText(request.remark, maxBytes: ProtocolLimits.maxShortTextBytes, what: "A remark")
        guard try await social.setRemark(user: user, friend: request.userID, remark: request.remark) else {
            throw ChatError(.notFriends, "You are not friends with that user.")
        }
        if let other = try await users.user(id: request.userID) {
            pushFriendEvent(.friendsChanged, about: other, to: user)
        }
    }

    func friends(of user: UserID) async throws -> WireFriendList {
        let records = try await social.friends(of: user)
        let ids = records.map(\.friendID)
        let people = try await users.users(ids: ids)
        let online = await status.onlineUsers(among: ids)
        var list = WireFriendList()
        list.friends = records.compactMap { record in
            guard let person = people[record.friendID] else { return nil }
            var friend = WireFriend()
            friend.user = WireUser(person)
            // Someone who blocked this user shows as offline to them.
            friend.online = online.contains(record.friendID) && !record.blocksMe
            friend.remark = record.remark
            friend.blockedByMe = record.blockedByMe
            friend.sinceMs = record.sinceMs
            return friend
        }
        return list
    }

    // MARK: Messages

    /// What a message must pass before it is queued for commit; returns what to commit.
    /// Synchronous: it runs on the connection's event loop for every message.
    func checkMessage(_ request: WireSendMessage, from user: UserID) throws -> NewMessage {
        guard !request.clientMsgID.isEmpty, request.clientMsgID.utf8.count <= ProtocolLimits.maxClientMessageIDBytes
        else {
            throw ChatError(
                .badRequest,
                "Every message needs a client message id of 1 to \(ProtocolLimits.maxClientMessageIDBytes) bytes."
            )
        }
        try AccountRules.validateText(request.text)
        guard !request.text.allSatisfy(\.isWhitespace) else {
            throw ChatError(.invalidText, "A message cannot be empty.")
        }
        if let wait = limiter.takeWithoutWaiting("messages:\(user)", limit: limits.messagesPerUser) {
            throw ChatError.rateLimited("You are sending messages too fast.", retryAfter: wait)
        }
        let kib = (request.text.utf8.count + 1023) / 1024
        if let wait = limiter.takeWithoutWaiting("message-kib:\(user)", limit: limits.messageKiBPerUser, cost: kib) {
            throw ChatError.quotaExceeded(limits.messageKiBPerUser, retryAfter: wait)
        }
        let peer = request.toUserID
        if request.groupID != 0 {
            // Membership, mentions and the reply are checked by the commit, in its transaction.
            guard peer == 0, request.groupID > 0 else {
                throw ChatError(.badRequest, "A message goes to a friend or to a group, not both.")
            }
            guard request.mentions.count <= ProtocolLimits.maxMentions else {
                throw ChatError(.badRequest, "A message can mention at most \(ProtocolLimits.maxMentions) people.")
            }
            var message = NewMessage(
                senderID: user,
                recipientID: 0,
                clientMessageID: request.clientMsgID,
                text: request.text,
                sentAtMs: clock.nowMs()
            )
            message.groupID = request.groupID
            message.mentions = request.mentions
            message.mentionsAll = request.mentionsAll
            message.replyToSeq = request.replyToSeq
            return message
        }
        // Friendship and blocks are checked by the commit, in its transaction (see MessageStore).
        guard peer != user, peer > 0 else {
            throw ChatError(.notFriends, "You can only message your friends.")
        }
        guard request.mentions.isEmpty, !request.mentionsAll else {
            throw ChatError(.badRequest, "Mentions are for group messages.")
        }
        var message = NewMessage(
            senderID: user,
            recipientID: peer,
            clientMessageID: request.clientMsgID,
            text: request.text,
            sentAtMs: clock.nowMs()
        )
        message.replyToSeq = request.replyToSeq
        return message
    }

    /// After the commit: pushes to every device of both users (not again for a resend) but the
    /// connection `sentOn`, then the ack, which is that connection's update (it carries the
    /// sender's update id): the message once per frame, not twice.
    func delivered(_ committed: CommittedMessage, sentOn connection: ConnectionID?) -> WireMessageAck {
        let message = WireChatMessage(committed.message)
        if committed.message.groupID != 0 {
            if !committed.duplicate { fanout.push(committed.message, except: connection) }
        } else if !committed.duplicate {
            // One frame for both sides: the recipient's devices and the sender's others (this
            // runs in commit order, so each conversation's pushes leave in seq order).
            var push = WireMessagePush()
            push.message = message
            if let frame = try? WireEnvelope.push(.messagePush(push)).framed() {
                router.push(frame, to: committed.message.recipientID)
                if committed.message.senderID != committed.message.recipientID {
                    router.push(frame, to: committed.message.senderID, except: connection)
                }
            }
        }
        var ack = WireMessageAck()
        ack.message = message
        ack.duplicate = committed.duplicate
        return ack
    }

    /// A message sent through `handle` (not a connection's own commit path): no connection to
    /// spare, so every device of the sender gets the push too.
    func sendMessage(_ request: WireSendMessage, from user: UserID) async throws -> WireMessageAck {
        delivered(try await messages.commit(try checkMessage(request, from: user)), sentOn: nil)
    }

    func history(_ request: WireFetchHistory, of user: UserID) async throws -> WireMessageList {
        let limit = Self.pageSize(request.limit)
        let page: [MessageRecord]
        if request.groupID != 0 {
            // Only what the user may see of the group: the store refuses a non-member.
            page = try await groups.history(
                of: request.groupID,
                for: user,
                beforeSeq: request.beforeSeq,
                afterSeq: request.hasAfterSeq ? request.afterSeq : nil,
                limit: limit + 1
            )
        } else {
            guard request.peerID > 0 else { throw ChatError(.badRequest, "Name a friend or a group.") }
            // The conversation is always (user, peer): nobody pages through another pair's history.
            page = try await messages.history(
                of: user,
                with: request.peerID,
                beforeSeq: request.beforeSeq,
                afterSeq: request.hasAfterSeq ? request.afterSeq : nil,
                limit: limit + 1
            )
        }
        let kept = Self.withinBudget(page.prefix(limit)) { $0.text.utf8.count }
        var list = WireMessageList()
        list.messages = kept.map(WireChatMessage.init)
        list.moreAvailable = page.count > kept.count
        return list
    }

    func sync(_ request: WireSync, of user: UserID) async throws -> WireSyncReply {
        let limit = Self.pageSize(request.limit)
        let page = try await messages.updates(of: user, after: request.afterUpdateID, limit: limit + 1)
        let kept = Self.withinBudget(page.prefix(limit)) { update in
            if case .message(_, let message) = update { return message.text.utf8.count }
            return 0
        }
        var reply = WireSyncReply()
        reply.updates = kept.map(WireUpdate.init)
        reply.moreAvailable = page.count > kept.count
        reply.latestUpdateID = try await messages.latestUpdateID(of: user)
        // The log is compacted: when what is left starts past the cursor, what the device missed
        // is gone from it, and the reply says where the log now begins (a full resync). Only the
        // page tells: compaction keeps the newest entries, so an empty page is a device caught up
        // (`latest` is read after the page, and a message committed between the two is not a gap).
        if let first = page.first?.updateID, first > request.afterUpdateID + 1 {
            reply.horizonUpdateID = first - 1
        }
        return reply
    }

    func markRead(_ request: WireMarkRead, by user: UserID) async throws {
        if request.groupID != 0 {
            if let update = try await groups.markRead(user: user, group: request.groupID, seq: request.seq) {
                pushUpdate(update, to: user)
            }
            return
        }
        guard request.peerID > 0 else { throw ChatError(.badRequest, "Name a friend or a group.") }
        if let update = try await messages.markRead(user: user, peer: request.peerID, seq: request.seq) {
            pushUpdate(update, to: user)
            // A read receipt for the friend, while both of them send receipts.
            if case .read(_, _, let seq) = update,
                let receipt = try await messages.logReadReceipt(reader: user, peer: request.peerID, seq: seq)
            {
                pushUpdate(receipt, to: request.peerID)
            }
        }
    }

    func conversations(of user: UserID, _ request: WireListConversations) async throws -> WireConversationList {
        let limit = Int(request.limit == 0 ? ProtocolLimits.conversationPageSize : min(request.limit, 1_000))
        let page = try await messages.conversations(of: user, afterPeer: request.afterPeerID, limit: limit + 1)
        // Previews are cut to `previewBytes`, so the byte budget here is a backstop.
        let kept = Self.withinBudget(page.prefix(limit), budget: ProtocolLimits.conversationPageBudgetBytes) {
            $0.lastMessage.map { min($0.text.utf8.count, ProtocolLimits.previewBytes) } ?? 0
        }
        var list = WireConversationList()
        list.moreAvailable = page.count > kept.count
        list.conversations = kept.map { record in
            var conversation = WireConversation()
            conversation.peerID = record.peerID
            if var last = record.lastMessage {
                // A preview: the list shows one line, and the reply must stay small however many
                // conversations there are.
                last.text = last.text.previewCut()
                conversation.lastMessage = WireChatMessage(last)
            }
            conversation.lastSeq = record.lastSeq
            conversation.readSeq = record.readSeq
            conversation.unread = record.unread
            conversation.muted = record.muted
            conversation.peerReadSeq = record.peerReadSeq
            return conversation
        }
        return list
    }

    // MARK: Pushes

    func pushUpdate(_ update: UpdateRecord, to user: UserID, except connection: ConnectionID? = nil) {
        var updatePush = WireUpdatePush()
        updatePush.update = WireUpdate(update)
        push(.updatePush(updatePush), to: user, except: connection)
    }

    func pushFriendEvent(_ kind: WireFriendEvent.Kind, about subject: UserRecord, to user: UserID, message: String = "")
    {
        var event = WireFriendEvent()
        event.kind = kind
        event.user = WireUser(subject)
        event.message = message
        push(.friendEvent(event), to: user)
    }

    /// Tells the user's friends that they came online or went offline: those the user has not
    /// blocked (a blocked friend sees them offline).
    func pushPresence(of user: UserID, online: Bool) async {
        let friends = (try? await social.friends(of: user)) ?? []
        pushPresence(of: user, online: online, to: friends.filter { !$0.blockedByMe }.map(\.friendID))
    }

    func pushPresence(of user: UserID, online: Bool, to watchers: [UserID]) {
        var presence = WirePresencePush()
        presence.userID = user
        presence.online = online
        guard let frame = try? WireEnvelope.push(.presencePush(presence)).framed() else { return }
        for watcher in watchers {
            router.push(frame, to: watcher)
        }
    }

    func push(_ payload: WireEnvelope.OneOf_Payload, to user: UserID, except connection: ConnectionID? = nil) {
        guard let frame = try? WireEnvelope.push(payload).framed() else { return }
        router.push(frame, to: user, except: connection)
    }

    /// The longest prefix of `items` whose text fits the reply budget, and at least one item, so a
    /// page always makes progress.
    static func withinBudget<T>(
        _ items: ArraySlice<T>,
        budget: Int = ProtocolLimits.replyBudgetBytes,
        textBytes: (T) -> Int
    ) -> [T] {
        var used = 0
        var kept: [T] = []
        for item in items {
            used += textBytes(item) + 64
            if used > budget && !kept.isEmpty { break }
            kept.append(item)
        }
        return kept
    }

    static func pageSize(_ requested: UInt32) -> Int {
        Int(requested == 0 ? ProtocolLimits.defaultPageSize : min(requested, ProtocolLimits.maxPageSize))
    }
}
