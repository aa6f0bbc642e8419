import ChatClient
import Testing

/// Reconnect delays: growing while connections fail, afresh after one that lasted.
@Suite struct ReconnectScheduleTests {
    @Test func delaysGrowWhileAttemptsFailAndStayUnderTheCap() {
        var schedule = ReconnectSchedule(backoff: Backoff(base: 1, cap: 8))
        var ceilings: [Double] = []
        for _ in 0..<6 {
            let delay = schedule.delay(afterConnectionLasted: nil)
            ceilings.append(delay)
        }
        // Full jitter between half and all of 1, 2, 4, 8, 8, 8.
        for (delay, raw) in zip(ceilings, [1.0, 2, 4, 8, 8, 8]) {
            #expect(delay >= raw / 2 && delay <= raw)
        }
        #expect(schedule.attempt == 6)
    }

    @Test func aConnectionThatDroppedAtOnceKeepsBackingOff() {
        var schedule = ReconnectSchedule(backoff: Backoff(base: 1, cap: 64))
        for _ in 0..<4 { _ = schedule.delay(afterConnectionLasted: 0.5) }
        let delay = schedule.delay(afterConnectionLasted: 2)
        #expect(delay >= 8 && delay <= 16)
    }

    @Test func aConnectionThatLastedStartsAfresh() {
        var schedule = ReconnectSchedule(backoff: Backoff(base: 1, cap: 64))
        for _ in 0..<4 { _ = schedule.delay(afterConnectionLasted: nil) }
        let delay = schedule.delay(afterConnectionLasted: 60)
        #expect(delay >= 0.5 && delay <= 1)
        #expect(schedule.attempt == 1)
    }
}
