import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// An idle client sleeps until something on screen changes with time: once a minute, once a
/// second while the reconnect countdown shows, and when a notice expires. (It once woke 26 times
/// a second: a 40 ms key poll and a one-second tick that redrew every time.)
@Suite struct WakeScheduleTests {
    /// 10:00:20.5 on some day, in whole seconds since 1970 plus a half.
    let now = Date(timeIntervalSince1970: 1_795_000_820.5)

    @Test func anIdleConnectedClientWakesAtTheNextMinute() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.now = now
        let next = WakeSchedule.next(for: state, now: now)
        #expect(next == Date(timeIntervalSince1970: 1_795_000_860))
        #expect(WakeSchedule.milliseconds(from: now, to: next) == 39_500)
        // From the minute itself, the one after it.
        #expect(WakeSchedule.next(for: state, now: next) == next.addingTimeInterval(60))
    }

    @Test func aNoticeWakesTheClientWhenItExpires() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.now = now
        state.showNotice("Saved.", .success, seconds: 4)
        #expect(WakeSchedule.next(for: state, now: now) == now.addingTimeInterval(4))
        // The tick at that moment (or after it) clears it, and the minute is next again.
        _ = state.apply(.tick(now.addingTimeInterval(4.001)))
        #expect(state.notice == nil)
        let later = now.addingTimeInterval(4.001)
        #expect(WakeSchedule.next(for: state, now: later) == WakeSchedule.nextMinute(after: now))
    }

    @Test func theCountdownWakesOnceASecondWhileItShows() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        let retry = now.addingTimeInterval(2.3)
        state.chat?.connection = .reconnecting(at: retry, lastError: "Cannot reach the server")
        var wakes: [Date] = []
        var clock = now
        while wakes.count < 10, let change = WakeSchedule.countdownChange(state, now: clock) {
            wakes.append(change)
            clock = change
        }
        // "3 s" until 0.3 s from now, then "2 s", "1 s", "0 s": one wake a second, on the change.
        let expected = [now.addingTimeInterval(0.3), now.addingTimeInterval(1.3), retry]
        #expect(wakes.count == expected.count)
        for (wake, time) in zip(wakes, expected) {
            #expect(abs(wake.timeIntervalSince(time)) < 0.001, "\(wake) for \(time)")
            state.now = wake.addingTimeInterval(0.001)
            let after = StatusBarView.connectionText(state).0
            state.now = wake.addingTimeInterval(-0.01)
            #expect(StatusBarView.connectionText(state).0 != after, "the countdown changes at \(wake)")
        }
        #expect(abs(WakeSchedule.next(for: state, now: now).timeIntervalSince(now) - 0.3) < 0.001)
        // Not on screen (the sign-in form), not a reason to wake.
        state.screen = .signIn
        #expect(WakeSchedule.countdownChange(state, now: now) == nil)
        #expect(WakeSchedule.next(for: state, now: now) == WakeSchedule.nextMinute(after: now))
    }

    @Test func aWaitNeverEndsBeforeItsTime() {
        #expect(WakeSchedule.milliseconds(from: now, to: now.addingTimeInterval(0.0001)) == 1)
        #expect(WakeSchedule.milliseconds(from: now, to: now) == 0)
        #expect(WakeSchedule.milliseconds(from: now, to: now.addingTimeInterval(-5)) == 0)
    }
}
