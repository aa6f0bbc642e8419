/// Every limit of the wire protocol, in one place, so client, server and tests agree.
public enum ProtocolLimits {
    /// Bumped when a change is not backward compatible; `Hello` carries it.
    /// 2: sync replies may carry a horizon (compacted update logs), which a version-1 client would
    /// not understand (it would ask for the missing updates forever).
    /// 3: messages are no longer in the update log; a device follows each conversation by its
    /// seq (`MessagePush`, `FetchHistory.after_seq`, `Pong.direct_seq_sum`), which a version-2
    /// client would not (it would wait for one-to-one messages in the log).
    public static let protocolVersion: UInt32 = 3

    /// The largest frame body (after the 4-byte length) either side accepts. A bigger announced
    /// length closes the connection before the body is even buffered.
    public static let maxFrameBytes = 64 * 1024

    /// The largest frame a client accepts from a server. Servers keep replies within
    /// `replyBudgetBytes`; this leaves headroom so a client never chokes on a legitimate reply.
    public static let maxServerFrameBytes = 4 * 1024 * 1024

    /// Servers stop adding items to a page (history, sync) once it holds this many bytes of text,
    /// and say `more_available`.
    public static let replyBudgetBytes = 48 * 1024

    /// Conversation-list previews are cut to this many characters: the list shows one line.
    public static let previewCharacters = 120

    /// ... and to this many UTF-8 bytes: one character can hold thousands of combining marks, and
    /// the list's size must follow the number of conversations, not what was said in them.
    public static let previewBytes = 480

    /// The longest message text, in UTF-8 bytes. Well under `maxFrameBytes` so a full message
    /// always fits in a frame with its envelope.
    public static let maxTextBytes = 16 * 1024

    /// How many of one connection's messages may wait for their commit at once; past that the
    /// server stops reading from it until some are acknowledged.
    public static let maxMessagesInFlight = 256

    /// Bytes a server may hold queued for one connection that is not reading. Past this the
    /// connection is closed (`slow_consumer`): its pushes stay in its update log for the sync
    /// after it reconnects, so nothing is lost, and the server's memory stays bounded.
    public static let maxSendQueueBytes = 1024 * 1024

    /// Longest friend-request greeting and remark, in UTF-8 bytes.
    public static let maxShortTextBytes = 256

    /// The longest client message id, in UTF-8 bytes.
    public static let maxClientMessageIDBytes = 64

    /// How often a client sends `Ping` when it has nothing else to send.
    public static let heartbeatSeconds: UInt32 = 15

    /// A connection that sends nothing (not even `Ping`) for this long is closed.
    public static let idleTimeoutSeconds: Int64 = 45

    /// A connection must complete `Hello` within this long.
    public static let helloTimeoutSeconds: Int64 = 10

    /// The most items one history page, search or sync reply returns.
    public static let maxPageSize: UInt32 = 200
    public static let defaultPageSize: UInt32 = 50

    /// Friends per person (WeChat's own cap). With it the friend list, in one reply, stays under
    /// `maxServerFrameBytes` however long the names and remarks (`ProtocolLimitsTests`).
    public static let maxFriends = 5_000
    /// The pending requests a list shows each way, the newest: the request list stays one small
    /// reply however many are waiting (sending is limited per day, `friendRequestsPerUser`).
    public static let maxListedRequests = 200
    /// Conversations per `ListConversations` page when the client does not say.
    public static let conversationPageSize: UInt32 = 500
    /// The most one conversation page carries (previews with their headers): far under a frame.
    public static let conversationPageBudgetBytes = 512 * 1024

    /// Members of one group, the owner included. With it a group's member list (`GroupInfo`)
    /// stays far under a frame, and a message's pushes stay bounded.
    public static let maxGroupMembers = 500
    /// Groups one person is in at once. With it the group list (one reply, each entry's texts cut
    /// to previews) stays far under a frame, and nobody can be pulled into groups without end.
    public static let maxGroupsPerUser = 500
    /// A group's name, in bytes of UTF-8 (one line: no control characters).
    public static let maxGroupNameBytes = 96
    /// A group's announcement, in bytes of UTF-8.
    public static let maxAnnouncementBytes = 2_048
    /// Members one message may mention by name.
    public static let maxMentions = 50
    /// How long after sending a message its sender may recall it (WeChat's two minutes).
    public static let recallWindowMs: Int64 = 120_000
    /// A reply's quote of the message it answers: one line of this many characters at most.
    public static let replyExcerptCharacters = 80
    /// How long a client shows "bob is typing…" after the last `SetTyping` (it repeats it while
    /// typing, at most once every `typingRepeatSeconds`).
    public static let typingShownSeconds: Int64 = 6
    public static let typingRepeatSeconds: Int64 = 3
}
