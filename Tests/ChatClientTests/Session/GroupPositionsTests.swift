import ChatClient
import Testing

/// A group's rules, directly: the next message is applied, one seen is skipped, one past a gap
/// calls for a catch-up; one catch-up per group, going round again when asked meanwhile.
@Suite struct GroupPositionsTests {
    @Test func theNextMessageAppliesAndAGapCatchesUp() {
        var positions = GroupPositions([7: 3])
        #expect(positions.decide(4, in: 7) == .apply)
        #expect(positions.decide(3, in: 7) == .seen)
        #expect(positions.decide(6, in: 7) == .catchUp)
        // A group never seen starts at 0: its first line is the next one.
        #expect(positions.decide(1, in: 8) == .apply)
        positions.advance(7, to: 4)
        positions.advance(7, to: 2)
        #expect(positions[7] == 4, "never back")
        // A seq the cache cannot hold is not a position: nothing after it could ever follow on.
        positions.advance(8, to: .max)
        #expect(positions[8] == UInt64(Int64.max))
        #expect(positions.decide(.max, in: 8) == .catchUp)
    }

    @Test func theSumIsOfTheGroupsAskedFor() {
        let positions = GroupPositions([7: 3, 8: 10, 9: .max])
        #expect(positions.sum(of: [7, 8]) == 13)
        #expect(positions.sum(of: [7, 8, 10]) == 13)
        #expect(positions.sum(of: [9, 9]) == UInt64.max &+ UInt64.max, "wraps, never traps")
    }

    @Test func oneCatchUpAtATimeGoingRoundAgainWhenAsked() {
        // Mutating calls are made outside #expect, which cannot mutate what it evaluates.
        var positions = GroupPositions()
        let began = positions.beginCatchUp(7, through: 5)
        #expect(began)
        #expect(positions.catchUpTarget(7) == 5)
        // A push past a gap meanwhile: the running catch-up goes on, as far as it.
        let beganAgain = positions.beginCatchUp(7, through: 9)
        #expect(!beganAgain)
        #expect(positions.catchUpTarget(7) == 9)
        let askedAgain = positions.endCatchUpRound(7)
        #expect(askedAgain, "asked again")
        let goesOn = positions.endCatchUpRound(7)
        #expect(!goesOn, "done")
        #expect(positions.catchUpTarget(7) == 0)
        let next = positions.beginCatchUp(7, through: 10)
        #expect(next)
        positions.abandonCatchUp(7)
        let afterFailure = positions.beginCatchUp(7, through: 10)
        #expect(afterFailure, "a failed one does not block the next")
    }
}
