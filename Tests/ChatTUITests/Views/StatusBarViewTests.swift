import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// The status bar's connection: the countdown while the session waits to retry, "connecting…"
/// only while an attempt runs. The countdown was once hidden behind "connecting…".
@Suite struct StatusBarViewTests {
    init() { DisplayWidth.useUTF8Locale() }

    static func statusLine(_ connection: ConnectionStatus, secondsLater: Double = 0) -> String {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.chat?.connection = connection
        state.now = state.now.addingTimeInterval(secondsLater)
        return AppView.render(state).lines.last ?? ""
    }

    @Test func theWaitShowsTheCountdownAndTheAttemptShowsConnecting() {
        let now = ScreenFixtures.mainState(width: 80, height: 24).now
        let waiting = ConnectionStatus.reconnecting(at: now.addingTimeInterval(7), lastError: "Cannot reach")

        let wait = Self.statusLine(waiting)
        #expect(wait.contains("○ offline — retrying in 7 s"), "\(wait)")
        #expect(!wait.contains("connecting"), "\(wait)")
        // It counts down as the clock ticks.
        #expect(Self.statusLine(waiting, secondsLater: 5).contains("retrying in 2 s"))
        // Its time up, the attempt is starting: no "retrying in 0 s".
        let due = Self.statusLine(waiting, secondsLater: 7)
        #expect(due.contains("◌ connecting…") && !due.contains("retrying"), "\(due)")

        let attempt = Self.statusLine(.connecting)
        #expect(attempt.contains("◌ connecting…"), "\(attempt)")
        #expect(!attempt.contains("retrying"), "\(attempt)")

        #expect(Self.statusLine(.connected(server: "127.0.0.1:8090")).contains("● connected"))
    }
}
