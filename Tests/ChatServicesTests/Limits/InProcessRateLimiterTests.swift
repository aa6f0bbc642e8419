import ChatProtocol
import Synchronization
import Testing

@testable import ChatServices

/// The limiter's arithmetic, on a clock the test moves by hand.
@Suite struct InProcessRateLimiterTests {
    final class ManualClock: Sendable {
        private let ms = Mutex<Int64>(1_000_000)
        var now: Int64 { ms.withLock { $0 } }
        func advance(seconds: Double) { ms.withLock { $0 += Int64(seconds * 1000) } }
    }

    @Test func aBucketAllowsItsBurstThenRefillsAtItsRate() async {
        let clock = ManualClock()
        let limiter = InProcessRateLimiter(clock: WallClock { clock.now })
        let limit = RateLimit(perSecond: 2, burst: 4)
        for _ in 0..<4 { #expect(await limiter.take("k", limit: limit) == nil) }
        let wait = await limiter.take("k", limit: limit)
        #expect(wait == 0.5, "one token comes back every half second")
        clock.advance(seconds: 0.5)
        #expect(await limiter.take("k", limit: limit) == nil)
        #expect(await limiter.take("k", limit: limit) != nil)
        // Other keys have buckets of their own.
        #expect(await limiter.take("other", limit: limit) == nil)
    }

    /// A token given back (the event did not happen) can be taken again, never beyond the burst.
    @Test func aTokenGivenBackCanBeTakenAgainButNeverBeyondTheBurst() async {
        let clock = ManualClock()
        let limiter = InProcessRateLimiter(clock: WallClock { clock.now })
        let limit = RateLimit.per(3600, 2)
        #expect(await limiter.take("k", limit: limit) == nil)
        #expect(await limiter.take("k", limit: limit) == nil)
        #expect(await limiter.take("k", limit: limit) != nil)
        await limiter.giveBack("k", limit: limit)
        #expect(await limiter.take("k", limit: limit) == nil)
        #expect(await limiter.take("k", limit: limit) != nil)
        // A full bucket stays at its burst.
        for _ in 0..<3 { await limiter.giveBack("fresh", limit: limit) }
        #expect(await limiter.take("fresh", limit: limit) == nil)
        #expect(await limiter.take("fresh", limit: limit) == nil)
        #expect(await limiter.take("fresh", limit: limit) != nil)
    }

    /// Attempts are counted when they begin, in one step with the lockout check.
    @Test func attemptsAreCountedWhenTheyBeginAndAForgivenOneIsTakenBack() async {
        let clock = ManualClock()
        let limiter = InProcessRateLimiter(clock: WallClock { clock.now })
        let backoff = FailureBackoff(freeFailures: 3)
        #expect(await limiter.beginAttempt("k", backoff: backoff) == nil)
        #expect(await limiter.beginAttempt("k", backoff: backoff) == nil)
        await limiter.forgiveAttempt("k")
        #expect(await limiter.beginAttempt("k", backoff: backoff) == nil)
        // The third counted attempt starts the lockout before it has even finished.
        #expect(await limiter.beginAttempt("k", backoff: backoff) == nil)
        #expect(await limiter.beginAttempt("k", backoff: backoff) == 1)
        clock.advance(seconds: 1)
        #expect(await limiter.beginAttempt("k", backoff: backoff) == nil)
        #expect(await limiter.beginAttempt("k", backoff: backoff) == 2)
        await limiter.clearFailures("k")
        #expect(await limiter.beginAttempt("k", backoff: backoff) == nil)
        #expect(await limiter.beginAttempt("free", backoff: .never) == nil)
    }

    @Test func perDayLimitsSayHowLongToWait() async throws {
        let clock = ManualClock()
        let limiter = InProcessRateLimiter(clock: WallClock { clock.now })
        let limit = RateLimit.per(86_400, 3)
        for _ in 0..<3 { #expect(await limiter.take("requests", limit: limit) == nil) }
        let wait = try #require(await limiter.take("requests", limit: limit))
        #expect(abs(wait - 28_800) < 1, "a third of a day until the next one")
        await #expect(throws: ChatError.self) { try await limiter.enforce("requests", limit: limit, "Too many.") }
        do {
            try await limiter.enforce("requests", limit: limit, "Too many.")
        } catch let error as ChatError {
            #expect(error.code == .rateLimited)
            #expect(error.retryAfterSeconds == 28_800)
            #expect(error.message == "Too many. Try again in 28800 s.")
        }
    }

    @Test func unlimitedNeverRefuses() async {
        let limiter = InProcessRateLimiter()
        for _ in 0..<10_000 { #expect(await limiter.take("k", limit: .unlimited) == nil) }
        #expect(limiter.trackedKeys == 0)
    }

    @Test func failuresLockOutForDoublingTimesAndSuccessClearsThem() async {
        let clock = ManualClock()
        let limiter = InProcessRateLimiter(clock: WallClock { clock.now })
        let backoff = FailureBackoff(freeFailures: 3, baseLockoutSeconds: 1, maxLockoutSeconds: 8)
        for _ in 0..<2 { #expect(await limiter.recordFailure("alice", backoff: backoff) == 0) }
        #expect(await limiter.lockedOut("alice") == nil)
        #expect(await limiter.recordFailure("alice", backoff: backoff) == 1)
        #expect(await limiter.lockedOut("alice") == 1)
        clock.advance(seconds: 1)
        #expect(await limiter.lockedOut("alice") == nil)
        #expect(await limiter.recordFailure("alice", backoff: backoff) == 2)
        #expect(await limiter.recordFailure("alice", backoff: backoff) == 4)
        #expect(await limiter.recordFailure("alice", backoff: backoff) == 8)
        #expect(await limiter.recordFailure("alice", backoff: backoff) == 8, "capped")
        await limiter.clearFailures("alice")
        #expect(await limiter.lockedOut("alice") == nil)
        #expect(await limiter.recordFailure("alice", backoff: backoff) == 0)
    }

    @Test func failuresAreForgottenAfterQuiet() async {
        let clock = ManualClock()
        let limiter = InProcessRateLimiter(clock: WallClock { clock.now })
        let backoff = FailureBackoff(freeFailures: 2, baseLockoutSeconds: 1, forgetAfterSeconds: 60)
        _ = await limiter.recordFailure("bob", backoff: backoff)
        clock.advance(seconds: 61)
        #expect(await limiter.recordFailure("bob", backoff: backoff) == 0, "the old failure no longer counts")
    }

    @Test func aFloodOfDistinctKeysDoesNotGrowTheTableWithoutBound() async {
        let clock = ManualClock()
        let limiter = InProcessRateLimiter(clock: WallClock { clock.now })
        let limit = RateLimit(perSecond: 10, burst: 10)
        for round in 0..<5 {
            for i in 0..<20_000 { _ = await limiter.take("key-\(round)-\(i)", limit: limit) }
            clock.advance(seconds: 2)
        }
        #expect(limiter.trackedKeys < 45_000, "refilled buckets are swept: \(limiter.trackedKeys) keys")
    }
}
