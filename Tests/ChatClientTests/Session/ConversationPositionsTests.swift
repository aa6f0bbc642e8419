import ChatClient
import Testing

/// A conversation's rules, directly: the next message is applied, one seen is skipped, one past
/// a gap calls for a catch-up; one catch-up per conversation, going round again when asked
/// meanwhile. A friend's conversation and a group's follow the same rules, each on its own.
@Suite struct ConversationPositionsTests {
    @Test func theNextMessageAppliesAndAGapCatchesUp() {
        var positions = ConversationPositions([.group(7): 3])
        #expect(positions.decide(4, in: .group(7)) == .apply)
        #expect(positions.decide(3, in: .group(7)) == .seen)
        #expect(positions.decide(6, in: .group(7)) == .catchUp)
        // A conversation never seen starts at 0: its first message is the next one.
        #expect(positions.decide(1, in: .group(8)) == .apply)
        positions.advance(.group(7), to: 4)
        positions.advance(.group(7), to: 2)
        #expect(positions[.group(7)] == 4, "never back")
        // A seq the cache cannot hold is not a position: nothing after it could ever follow on.
        positions.advance(.group(8), to: .max)
        #expect(positions[.group(8)] == UInt64(Int64.max))
        #expect(positions.decide(.max, in: .group(8)) == .catchUp)
    }

    @Test func aFriendsConversationHasItsOwnPositionApartFromAGroupWithTheSameNumber() {
        var positions = ConversationPositions([.direct(7): 3])
        #expect(positions.decide(4, in: .direct(7)) == .apply)
        #expect(positions.decide(2, in: .direct(7)) == .seen)
        #expect(positions.decide(5, in: .direct(7)) == .catchUp)
        // Group 7 is keyed -7: user 7's position is not its.
        #expect(positions.decide(1, in: .group(7)) == .apply)
        positions.advance(.group(7), to: 9)
        #expect(positions[.direct(7)] == 3)
        #expect(positions[.group(7)] == 9)
        positions.advance(.direct(7), to: 4)
        #expect(positions.decide(5, in: .direct(7)) == .apply)
    }

    @Test func theSumIsOfTheConversationsAskedFor() {
        let positions = ConversationPositions([.group(7): 3, .group(8): 10, .group(9): .max, .direct(2): 5])
        #expect(positions.sum(of: [ConversationKey.group(7), .group(8)]) == 13)
        #expect(positions.sum(of: [ConversationKey.group(7), .group(8), .group(10)]) == 13)
        let twice = positions.sum(of: [ConversationKey.group(9), .group(9)])
        #expect(twice == UInt64.max &+ UInt64.max, "wraps, never traps")
        // The friends' sum and the groups' are apart, as the heartbeat's two sums are.
        #expect(positions.sum(of: [ConversationKey.direct(2), .direct(3)]) == 5)
    }

    @Test func oneCatchUpAtATimeGoingRoundAgainWhenAsked() {
        // Mutating calls are made outside #expect, which cannot mutate what it evaluates.
        var positions = ConversationPositions()
        let began = positions.beginCatchUp(.group(7), through: 5)
        #expect(began)
        #expect(positions.catchUpTarget(.group(7)) == 5)
        // A push past a gap meanwhile: the running catch-up goes on, as far as it.
        let beganAgain = positions.beginCatchUp(.group(7), through: 9)
        #expect(!beganAgain)
        #expect(positions.catchUpTarget(.group(7)) == 9)
        // Another conversation's catch-up runs beside it.
        let friendsBegan = positions.beginCatchUp(.direct(7), through: 2)
        #expect(friendsBegan)
        let askedAgain = positions.endCatchUpRound(.group(7))
        #expect(askedAgain, "asked again")
        let goesOn = positions.endCatchUpRound(.group(7))
        #expect(!goesOn, "done")
        #expect(positions.catchUpTarget(.group(7)) == 0)
        #expect(positions.catchUpTarget(.direct(7)) == 2)
        let next = positions.beginCatchUp(.group(7), through: 10)
        #expect(next)
        positions.abandonCatchUp(.group(7))
        let afterFailure = positions.beginCatchUp(.group(7), through: 10)
        #expect(afterFailure, "a failed one does not block the next")
    }
}
