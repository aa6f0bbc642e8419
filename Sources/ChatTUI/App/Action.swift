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
    case signedOut

    case historyLoaded(peer: UserID, beforeSeq: UInt64, Result<[ChatMessage], ChatError>)
    case searchResults(query: String, [ChatMessage])
    case usersFound(query: String, Result<[UserSummary], ChatError>)
    /// A background request finished: show `message` (or the error) in the status bar.
    case finished(Result<String, ChatError>)
    case devMail(email: String, code: String)
    case themeLoaded(Theme, warning: String?)
}

/// Work the update asks for; the `EffectRunner` does it off the UI loop and answers with actions.
public enum Effect: Sendable, Equatable {
    case signIn(account: String, password: String)
    case requestCode(email: String, purpose: GateAPI.CodePurpose)
    case register(username: String, email: String, password: String, code: String)
    case resetPassword(email: String, code: String, newPassword: String)
    case signOut
    case send(text: String, to: UserID)
    case markRead(UserID)
    case loadHistory(peer: UserID, beforeSeq: UInt64)
    case searchMessages(String)
    case findUsers(String)
    case sendFriendRequest(to: UserID, message: String)
    case respondToRequest(from: UserID, accept: Bool)
    case removeFriend(UserID)
    case setBlocked(UserID, Bool)
    case setRemark(UserID, String)
    case setFindableByEmail(Bool)
    case loadTheme(String)
    case bell
    case notify(title: String, body: String)
}
