import Testing

@testable import ChatClient

@Suite struct SeqSumCheckTests {
    @Test func aDisagreementListsOnceUntilItChangesOrEnds() {
        var check = SeqSumCheck()
        func list(_ mine: UInt64, _ server: UInt64, disagrees: Bool) -> Bool {
            check.shouldList(mine: mine, server: server, disagrees: disagrees)
        }
        #expect(!list(5, 5, disagrees: false))
        #expect(list(3, 5, disagrees: true))
        // The same disagreement a heartbeat later: no second listing.
        #expect(!list(3, 5, disagrees: true))
        // It changed: list again.
        #expect(list(3, 6, disagrees: true))
        #expect(list(4, 6, disagrees: true))
        // Agreement forgets it, so the same one later lists again.
        #expect(!list(6, 6, disagrees: false))
        #expect(list(4, 6, disagrees: true))
    }
}
