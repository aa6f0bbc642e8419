import ChatProtocol
import Foundation

/// What a sign-in yields and what a client saves (mode 0600) to skip the password next time.
public struct SessionCredentials: Sendable, Codable, Equatable {
    public var userID: UserID
    public var username: String
    public var token: String
    public var expiresAt: Int64
    public var gateURL: String
    public var chatServer: GateAPI.ChatServerAddress

    public init(
        userID: UserID,
        username: String,
        token: String,
        expiresAt: Int64,
        gateURL: String,
        chatServer: GateAPI.ChatServerAddress
    ) {
        self.userID = userID
        self.username = username
        self.token = token
        self.expiresAt = expiresAt
        self.gateURL = gateURL
        self.chatServer = chatServer
    }

    public init(login: GateAPI.LoginResponse, gateURL: String) {
        self.init(
            userID: login.userId,
            username: login.username,
            token: login.token,
            expiresAt: login.expiresAt,
            gateURL: gateURL,
            chatServer: login.chatServer
        )
    }
}
