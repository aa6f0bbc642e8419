/// Names one client connection across the whole system: the chat server that holds it and a
/// number that server gives it. A value, so it can travel between services (a push that must
/// skip the sender's own device names it), unlike the in-process identity of its channel.
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public var chatServerID: String
    public var number: UInt64

    public init(chatServerID: String, number: UInt64) {
        self.chatServerID = chatServerID
        self.number = number
    }

    public var description: String { "\(chatServerID)#\(number)" }
}
