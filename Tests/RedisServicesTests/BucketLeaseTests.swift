import ChatServices
import Testing

@testable import RedisServices

/// The lease arithmetic alone, without Redis.
@Suite struct BucketLeaseTests {
    let limit = RateLimit(perSecond: 20, burst: 100)

    @Test func theFirstEventGoesThroughOnTrustAndFetchesALease() {
        var lease = BucketLease(limit)
        let first = lease.take(nowMs: 0)
        #expect(first.wait == nil && first.fetch)
        let order = lease.startFetch()
        #expect(order.charge == 1 && order.want == 1 + lease.leaseSize)
        // While the fetch is out, more go through on trust without a second fetch.
        #expect(lease.take(nowMs: 1) == (nil, false))
        #expect(lease.debt == 2)
        // Redis charged the first debt and granted the lease, which pays the later debt.
        #expect(lease.settle(charge: 1, granted: order.want - order.charge, waitMs: 0, nowMs: 2) == false)
        #expect(lease.credit == lease.leaseSize - 1)
        #expect(lease.debt == 0)
    }

    @Test func creditIsSpentLocallyAndRefetchedAsItRunsOut() {
        var lease = BucketLease(limit)
        _ = lease.take(nowMs: 0)
        let order = lease.startFetch()
        _ = lease.settle(charge: order.charge, granted: order.want - order.charge, waitMs: 0, nowMs: 0)
        for _ in 0..<(lease.leaseSize - 1) { #expect(lease.take(nowMs: 10) == (nil, false)) }
        // The last leased token asks for the next lease.
        #expect(lease.take(nowMs: 10) == (nil, true))
        // Expired credit is not spent.
        var stale = BucketLease(limit)
        _ = stale.take(nowMs: 0)
        let staleOrder = stale.startFetch()
        _ = stale.settle(charge: staleOrder.charge, granted: staleOrder.want - staleOrder.charge, waitMs: 0, nowMs: 0)
        _ = stale.take(nowMs: BucketLease.leaseLifetimeMs + 1)
        #expect(stale.debt == 1)
    }

    @Test func anEmptySharedBucketRefusesUntilRedisSaysATokenIsThere() {
        var lease = BucketLease(limit)
        for _ in 0..<5 { _ = lease.take(nowMs: 0) }
        #expect(lease.debt == 5)
        let order = lease.startFetch()
        // The debt took the shared bucket below zero: no lease, and a token in 250 ms.
        #expect(lease.settle(charge: order.charge, granted: 0, waitMs: 250, nowMs: 1_000) == false)
        #expect(lease.debt == 0)
        let refused = lease.take(nowMs: 1_000)
        #expect(refused.wait == 0.25 && !refused.fetch)
        #expect(lease.take(nowMs: 1_250).wait == nil)
    }

    @Test func debtBeyondTheLeaseIsFetchedForAndCreditIsNeverDropped() {
        var lease = BucketLease(limit)
        _ = lease.take(nowMs: 0)
        let order = lease.startFetch()
        for _ in 0..<(lease.leaseSize + 2) { _ = lease.take(nowMs: 0) }
        // The lease pays what it can; the rest is fetched for.
        #expect(lease.settle(charge: order.charge, granted: lease.leaseSize, waitMs: 0, nowMs: 0) == true)
        #expect(lease.credit == 0 && lease.debt == 2)
        let next = lease.startFetch()
        #expect(next.charge == 2)
        // Credit left from an earlier lease is added to, not replaced.
        #expect(lease.settle(charge: next.charge, granted: 3, waitMs: 0, nowMs: 0) == false)
        #expect(lease.credit == 3)
        _ = lease.take(nowMs: 0)
        let third = lease.startFetch()
        _ = lease.settle(charge: third.charge, granted: 2, waitMs: 0, nowMs: 0)
        #expect(lease.credit == 4)
    }

    @Test func trustEndsAtOneBurst() {
        var lease = BucketLease(RateLimit(perSecond: 1, burst: 3))
        for _ in 0..<3 { #expect(lease.take(nowMs: 0).wait == nil) }
        #expect(lease.take(nowMs: 0).wait != nil)
        lease.fetchFailed()
        #expect(lease.debt == 0)
        #expect(lease.isIdle(nowMs: 0))
    }
}
