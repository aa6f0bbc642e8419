import ChatClient
import Foundation

/// The last "I am typing" the input asked for: a burst of keys asks once a second at most (the
/// session throttles again, to what the server wants).
public struct TypingSignal: Sendable, Equatable {
    public static let minimumInterval: TimeInterval = 1

    public var conversation: ConversationKey
    public var at: Date

    public init(conversation: ConversationKey, at: Date) {
        self.conversation = conversation
        self.at = at
    }
}
