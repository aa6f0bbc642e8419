import ChatClient
import ChatProtocol
import Testing

/// The update log's rules, directly: in order, once each, never past a gap; pushes and pulls.
@Suite struct SyncCursorTests {
    static func updates(_ ids: UInt64...) -> [WireUpdate] {
        ids.map { id in
            var update = WireUpdate()
            update.updateID = id
            return update
        }
    }

    static func ids(_ run: (updates: [WireUpdate], through: UInt64)?) -> [UInt64] {
        run?.updates.map(\.updateID) ?? []
    }

    @Test func aRunIsInOrderAndStopsAtAGap() {
        var cursor = SyncCursor(position: 3)
        let run = cursor.run(of: Self.updates(6, 4, 5, 8, 9))
        #expect(Self.ids(run) == [4, 5, 6])
        #expect(run?.through == 6)
        #expect(cursor.gapSeen)
        // Nothing moves until the run is stored.
        #expect(cursor.position == 3)
        cursor.advance(to: 6)
        #expect(cursor.position == 6)
    }

    @Test func updatesAlreadyAppliedAndRepeatsAreSkipped() {
        var cursor = SyncCursor(position: 5)
        let stale = cursor.run(of: Self.updates(1, 2, 5))
        #expect(stale == nil)
        let run = cursor.run(of: Self.updates(5, 6, 6, 7, 7))
        #expect(Self.ids(run) == [6, 7])
        #expect(!cursor.gapSeen)
    }

    @Test func aRunThatStartsWithAGapIsEmpty() {
        var cursor = SyncCursor(position: 5)
        let ahead = cursor.run(of: Self.updates(7, 8))
        #expect(ahead == nil)
        #expect(cursor.gapSeen)
        #expect(cursor.position == 5)
    }

    @Test func advancingNeverMovesBack() {
        var cursor = SyncCursor(position: 9)
        cursor.advance(to: 4)
        #expect(cursor.position == 9)
    }

    @Test func aPushThatFollowsOnIsAppliedOneThatSkipsAheadIsPulled() {
        var cursor = SyncCursor(position: 10)
        let next = cursor.decide(push: 11)
        let duplicate = cursor.decide(push: 9)
        #expect(next == .apply)
        #expect(duplicate == .apply, "a duplicate is applied as nothing")
        #expect(!cursor.gapSeen)
        let ahead = cursor.decide(push: 13)
        #expect(ahead == .pull)
        #expect(cursor.gapSeen)
    }

    @Test func pushesDuringAPullAreLeftToItAndMakeItGoRoundAgain() {
        var cursor = SyncCursor(position: 10)
        let first = cursor.beginPull()
        let second = cursor.beginPull()
        #expect(first)
        #expect(!second, "one pull at a time")
        cursor.beginRound()
        let decision = cursor.decide(push: 11)
        #expect(decision == .leaveToPull)
        #expect(cursor.gapSeen, "the round may have passed it already: another round")
        cursor.beginRound()
        #expect(!cursor.gapSeen)
        cursor.endPull()
        #expect(!cursor.isPulling)
        let after = cursor.decide(push: 11)
        #expect(after == .apply)
    }

    @Test func aServerWhoseLogIsBehindTheCursorMeansStartingOver() {
        var cursor = SyncCursor(position: 50)
        let level = cursor.serverLog(endsAt: 50)
        let ahead = cursor.serverLog(endsAt: 80)
        #expect(!level && !ahead)
        #expect(cursor.position == 50)
        let behind = cursor.serverLog(endsAt: 12)
        #expect(behind)
        #expect(cursor.position == 0)
        let run = cursor.run(of: Self.updates(1, 2, 3))
        #expect(Self.ids(run) == [1, 2, 3])
    }
}
