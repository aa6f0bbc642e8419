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

    case historyLoaded(peer: UserID, beforeSeq: UInt64, Result<[ChatMessage], ChatError>)
    /// A search's first results (newest first) and how many messages match in all.
    case searchResults(query: String, peer: UserID?, [ChatMessage], total: Int)
    case usersFound(query: String, Result<[UserSummary], ChatError>)
    /// A background request finished: show `message` (or the error) in the status bar.
    case finished(Result<String, ChatError>)
    case devMail(email: String, code: String)
    case themeLoaded(Theme, warning: String?)
    /// The unsent texts this account's cache kept from the last run, by conversation.
    case draftsLoaded([UserID: String])
    /// The external editor exited: the text it left for `peer`'s draft, or why the draft stays.
    case composed(peer: UserID?, Result<String, ChatError>)
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
    case send(text: String, to: UserID)
    /// Every conversation's unsent text to the cache, in place of what it kept: a restart
    /// brings them back.
    case saveDrafts([UserID: String])
    case markRead(UserID)
    case loadHistory(peer: UserID, beforeSeq: UInt64)
    /// Searches every conversation, or only the one with `peer`.
    case searchMessages(String, peer: UserID?)
    case findUsers(String)
    case sendFriendRequest(to: UserID, message: String)
    case respondToRequest(from: UserID, accept: Bool)
    /// Withdraws the friend request I sent to this user.
    case cancelFriendRequest(to: UserID)
    case removeFriend(UserID)
    case setBlocked(UserID, Bool)
    case setRemark(UserID, String)
    case setFindableByEmail(Bool)
    case loadTheme(String)
    /// The theme chosen in the picker, kept for the next start (`SavedTheme`).
    case saveTheme(String)
    case bell
    case notify(title: String, body: String)
    /// Ctrl-X Ctrl-E: `draft` (of `peer`'s conversation) in the user's editor. The UI thread
    /// runs it, since the editor needs the terminal, and answers with `.composed`.
    case composeInEditor(draft: String, peer: UserID?)
    /// The whole conversation with `peer` to `$XDG_DATA_HOME/wechat/exports/<fileStem>-<date>.txt`,
    /// each message under its sender's name from `names`.
    case exportConversation(peer: UserID, fileStem: String, names: [UserID: String])
}
