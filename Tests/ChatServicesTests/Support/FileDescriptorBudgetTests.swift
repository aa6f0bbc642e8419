import ChatServices
import Testing

/// Connection caps always leave descriptors in reserve, whatever the open-file limit.
@Suite struct FileDescriptorBudgetTests {
    @Test func capsThatFitAreKept() {
        let caps = FileDescriptorBudget.fit(chatPerServer: 16_000, chatServers: 1, gate: 2_048, limit: 1_048_576)
        #expect(caps.chatPerServer == 16_000 && caps.gate == 2_048)
    }

    @Test(arguments: [(1_024, 1), (20_000, 1), (20_000, 4), (300, 2), (100, 1)])
    func capsThatDoNotFitShrinkAndLeaveTheReserve(_ limit: Int, _ servers: Int) {
        let caps = FileDescriptorBudget.fit(chatPerServer: 16_000, chatServers: servers, gate: 2_048, limit: limit)
        #expect(caps.gate >= 1 && caps.chatPerServer >= 1)
        if limit > FileDescriptorBudget.reserve + 16 {
            #expect(caps.chatPerServer * servers + caps.gate <= limit - FileDescriptorBudget.reserve)
            #expect(caps.gate <= (limit - FileDescriptorBudget.reserve) / 8)
        }
    }

    @Test func theLimitIsRaisedToTheHardLimit() {
        #expect(FileDescriptorBudget.raiseLimit() >= 1_024)
    }
}
