import ChatClient
import Foundation

/// "bob is typing…" under the open conversation, from `ChatState.typing`. Each entry carries
/// its own expiry: it is shown until then by the app's clock, and `WakeSchedule` wakes the idle
/// app at that moment to take it away.
enum TypingIndicator {
    /// Who is typing in `conversation` now (me left out), by name, in a stable order.
    static func names(in conversation: ConversationKey, state: AppState) -> [String] {
        guard let entries = state.chat?.typing[conversation] else { return [] }
        let now = milliseconds(state.now)
        return entries.filter { $0.value > now && $0.key != state.me?.id }
            .map { state.memberName($0.key, in: conversation.groupID) }
            .sorted { $0.lowercased() < $1.lowercased() }
    }

    /// The line to show, or nil when nobody is typing.
    static func text(in conversation: ConversationKey, state: AppState) -> String? {
        let names = names(in: conversation, state: state).map { EmojiDisplay.displayed($0, mode: state.emojiMode) }
        switch names.count {
        case 0: return nil
        case 1: return "\(names[0]) is typing…"
        case 2: return "\(names[0]) and \(names[1]) are typing…"
        default: return "\(names.count) people are typing…"
        }
    }

    /// When the open conversation's line next changes by time alone: the soonest expiry after
    /// `now`; nil when nothing shows.
    static func nextChange(_ state: AppState, now: Date) -> Date? {
        guard state.screen == .main, let key = state.selectedConversation,
            let entries = state.chat?.typing[key]
        else { return nil }
        let nowMs = milliseconds(now)
        guard let soonest = entries.filter({ $0.value > nowMs && $0.key != state.me?.id }).values.min() else {
            return nil
        }
        return Date(timeIntervalSince1970: Double(soonest) / 1000)
    }

    static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
