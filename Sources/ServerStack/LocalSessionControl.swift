import ChatProtocol
import ChatServer
import ChatServices

/// `SessionControl` for the chat servers of this process: each closes the connections of the
/// user that it holds.
struct LocalSessionControl: SessionControl {
    let chatServers: [ChatServer]

    func disconnectEverywhere(_ order: DisconnectOrder) async {
        for server in chatServers {
            server.disconnect(order)
        }
    }
}
