import Foundation

/// When the idle app must wake by itself: the next moment something on screen changes with time
/// alone. Whatever else changes the screen (a key, an answer from the network) wakes it anyway,
/// so between those it sleeps: once a minute, or once a second while a countdown shows.
enum WakeSchedule {
    /// The earliest of: the notice's expiry, the countdown's next second while it shows, when a
    /// "typing…" line lapses, and the next minute (the friend list shows today's times as clock
    /// times, other days' as dates).
    static func next(for state: AppState, now: Date) -> Date {
        var next = nextMinute(after: now)
        if let notice = state.notice { next = min(next, notice.expires) }
        if let change = countdownChange(state, now: now) { next = min(next, change) }
        if let lapse = TypingIndicator.nextChange(state, now: now) { next = min(next, lapse) }
        return next
    }

    /// When the "retry in N s" countdown next shows one second less; nil while none shows or
    /// it is at 0 (the session's next state ends it).
    static func countdownChange(_ state: AppState, now: Date) -> Date? {
        guard state.screen == .main, case .reconnecting(let at, _)? = state.chat?.connection else { return nil }
        let remaining = at.timeIntervalSince(now)
        guard remaining > 0 else { return nil }
        // Shown rounded up, so it drops as `remaining` passes each whole second.
        let seconds = remaining.rounded(.up) - 1
        let change = at.addingTimeInterval(-seconds)
        // Woken at a change, rounding may put it a hair before it: then the one after is next.
        return change > now ? change : at.addingTimeInterval(-max(0, seconds - 1))
    }

    static func nextMinute(after now: Date) -> Date {
        Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / 60).rounded(.down) + 1) * 60)
    }

    /// From `now` to `date` in milliseconds for a wait, rounded up so the wait does not end
    /// before `date`; 0 when it has passed.
    static func milliseconds(from now: Date, to date: Date) -> Int {
        let interval = date.timeIntervalSince(now)
        guard interval > 0 else { return 0 }
        return Int(min((interval * 1000).rounded(.up), Double(Int32.max)))
    }
}
