/// A successful sign-in: who, the session token, and the chat server to connect to.
public struct SignedIn: Sendable {
    public var userID: UserID
    public var username: String
    public var token: IssuedToken
    public var chatServer: ChatServerInfo

    public init(userID: UserID, username: String, token: IssuedToken, chatServer: ChatServerInfo) {
        self.userID = userID
        self.username = username
        self.token = token
        self.chatServer = chatServer
    }
}
