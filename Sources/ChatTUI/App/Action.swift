import ChatClient
import ChatProtocol
import Foundation

/// Everything that can change the app: keys, the clock, and answers from the network. Network
/// work never blocks the loop: it runs as an `Effect` and comes back as one of these.
public enum Action: Sendable {
    case key(Key)
    case resized(width: Int, height: Int)
    case tick(Date)

    case session(ChatEvent)
    case signedIn(Result<SessionCredentials, ChatError>)
    case codeSent(GateAPI.CodePurpose, Result<String, ChatError>)
    /// The account was created (signing in follows as `signedIn`).
    case registered(Result<Void, ChatError>)
    case passwordReset(Result<String, ChatError>)
    /// The gate's answer to whether `username` is free (true) or taken (false).
    case usernameChecked(username: String, Result<Bool, ChatError>)
    case signedOut

    case historyLoaded(conversation: ConversationKey, beforeSeq: UInt64, Result<[ChatMessage], ChatError>)
    /// A search's first results (newest first) and how many messages match in all.
    case searchResults(query: String, conversation: ConversationKey?, [ChatMessage], total: Int)
    case usersFound(query: String, Result<[UserSummary], ChatError>)
    /// A background request finished: show `message` (or the error) in the status bar.
    case finished(Result<String, ChatError>)
    case devMail(email: String, code: String)
    case themeLoaded(Theme, warning: String?)
    /// The unsent texts this account's cache kept from the last run, by conversation.
    case draftsLoaded([ConversationKey: String])
    /// The external editor exited: the text it left for the conversation's draft, or why the
    /// draft stays.
    case composed(conversation: ConversationKey?, Result<String, ChatError>)
    /// The server's answer to the new-group picker: the group to open, or why not.
    case groupCreated(Result<GroupID, ChatError>)
    /// A change to a group (invite, leave, remove, rename, announcement, owner) was answered:
    /// what to say, or the error, which the open group panel shows.
    case groupChanged(GroupID, Result<String, ChatError>)
}

/// Work the update asks for; the `EffectRunner` does it off the UI loop and answers with actions.
public enum Effect: Sendable, Equatable {
    case signIn(account: String, password: String)
    case requestCode(email: String, purpose: GateAPI.CodePurpose)
    case register(username: String, email: String, password: String, code: String)
    case resetPassword(email: String, code: String, newPassword: String)
    /// Asks the gate whether a username is free, before the sign-up spends a code on it.
    case checkUsername(String)
    case signOut
    /// A message, naming members (`@name`, in a group) and answering the message at `replyTo`
    /// (0: none).
    case send(
        text: String,
        to: ConversationKey,
        mentions: [UserID] = [],
        mentionsAll: Bool = false,
        replyTo: UInt64 = 0
    )
    /// Withdraws my message at `seq` (within `ProtocolLimits.recallWindowMs` of sending it).
    case recall(ConversationKey, seq: UInt64)
    /// "I am typing" to the conversation (the session throttles it).
    case sendTyping(ConversationKey)
    /// How many of the group have read my message at `seq`: said in the status bar.
    case readCount(GroupID, seq: UInt64)
    /// Text to the clipboard through the terminal (OSC 52): the UI thread writes it.
    case copyToClipboard(String)
    /// Every conversation's unsent text to the cache, in place of what it kept: a restart
    /// brings them back.
    case saveDrafts([ConversationKey: String])
    case markRead(ConversationKey)
    case loadHistory(conversation: ConversationKey, beforeSeq: UInt64)
    /// Searches every conversation, or only `conversation`.
    case searchMessages(String, conversation: ConversationKey?)
    case findUsers(String)
    case sendFriendRequest(to: UserID, message: String)
    case respondToRequest(from: UserID, accept: Bool)
    /// Withdraws the friend request I sent to this user.
    case cancelFriendRequest(to: UserID)
    case removeFriend(UserID)
    case setBlocked(UserID, Bool)
    case setRemark(UserID, String)
    case setFindableByEmail(Bool)
    /// No bell and no notification from the conversation (kept on the server for every device).
    case setMuted(ConversationKey, Bool)
    case setSendsReadReceipts(Bool)
    case createGroup(name: String, members: [UserID])
    /// The group's members and their presence, into `ChatState.groupMembers`.
    case loadGroup(GroupID)
    case invite([UserID], to: GroupID)
    case leaveGroup(GroupID)
    case removeMember(UserID, from: GroupID)
    case renameGroup(GroupID, to: String)
    case setAnnouncement(GroupID, String)
    case transferOwnership(GroupID, to: UserID)
    case loadTheme(String)
    /// The theme chosen in the picker, kept for the next start (`SavedTheme`).
    case saveTheme(String)
    case bell
    case notify(title: String, body: String)
    /// Ctrl-X Ctrl-E: `draft` (of `conversation`) in the user's editor. The UI thread runs it,
    /// since the editor needs the terminal, and answers with `.composed`.
    case composeInEditor(draft: String, conversation: ConversationKey?)
    /// The whole conversation to `$XDG_DATA_HOME/wechat/exports/<fileStem>-<date>.txt`, each
    /// message under its sender's name from `names`.
    case exportConversation(conversation: ConversationKey, fileStem: String, names: [UserID: String])
}

extension Effect {
    /// What a conversation opened before the first catch-up ends may ask for: not a read mark
    /// (the user has not chosen it yet) nor a group's members (the server would refuse the request
    /// as "not connected", a notice for nothing). Its history comes from the cache meanwhile.
    var answeredWithoutTheServer: Bool {
        switch self {
        case .markRead, .loadGroup: false
        default: true
        }
    }
}
