import ChatProtocol
import ChatServer
import ChatServices

/// `SessionControl` for the chat servers of this process: each closes the connections of the
/// user that it holds.
struct LocalSessionControl: SessionControl {
    let chatServers: [ChatServer]

    func disconnectEverywhere(_ user: UserID, reason: ChatError) async {
        for server in chatServers {
            server.disconnect(user: user, reason: reason)
        }
    }
}
