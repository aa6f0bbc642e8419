import ChatServices
import Foundation
import SQLiteStores
import StoreTestSupport
import Testing

@Suite("SQLiteSocialStore")
struct SQLiteSocialStoreTests {
    @Test func requestsAreUpsertedListedAndDeleted() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            let social = db.social

            #expect(try await social.request(from: alice.id, to: bob.id) == nil)
            #expect(try await social.incomingRequests(of: bob.id).isEmpty)

            let first = FriendRequestRecord(
                fromID: alice.id,
                toID: bob.id,
                message: "hi, it's alice 👋",
                createdAtMs: 1_000
            )
            try await social.upsertRequest(first)
            #expect(try await social.request(from: alice.id, to: bob.id) == first)
            // Requests have a direction.
            #expect(try await social.request(from: bob.id, to: alice.id) == nil)

            // Sending again refreshes the same request instead of adding one.
            let refreshed = FriendRequestRecord(
                fromID: alice.id,
                toID: bob.id,
                message: "hello again",
                createdAtMs: 2_000
            )
            try await social.upsertRequest(refreshed)
            #expect(try await social.request(from: alice.id, to: bob.id) == refreshed)
            #expect(try await social.incomingRequests(of: bob.id) == [refreshed])
            #expect(try await social.outgoingRequests(of: alice.id) == [refreshed])
            #expect(try await social.incomingRequests(of: alice.id).isEmpty)
            #expect(try await social.outgoingRequests(of: bob.id).isEmpty)

            // Newest first.
            let fromCarol = FriendRequestRecord(fromID: carol.id, toID: bob.id, message: "", createdAtMs: 3_000)
            try await social.upsertRequest(fromCarol)
            #expect(try await social.incomingRequests(of: bob.id) == [fromCarol, refreshed])

            #expect(try await social.deleteRequest(from: alice.id, to: bob.id))
            #expect(try await social.deleteRequest(from: alice.id, to: bob.id) == false)
            #expect(try await social.request(from: alice.id, to: bob.id) == nil)
            #expect(try await social.incomingRequests(of: bob.id) == [fromCarol])
            #expect(try await social.outgoingRequests(of: alice.id).isEmpty)
        }
    }

    @Test func requestToAMissingUserIsRefused() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            await #expect(throws: (any Error).self) {
                try await db.social.upsertRequest(
                    FriendRequestRecord(fromID: alice.id, toID: 9_999, message: "?", createdAtMs: 1)
                )
            }
            #expect(try await db.social.outgoingRequests(of: alice.id).isEmpty)
        }
    }

    @Test func makeFriendsRemovesTheRequestsBothWays() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            let social = db.social

            try await social.upsertRequest(
                FriendRequestRecord(fromID: alice.id, toID: bob.id, message: "a→b", createdAtMs: 1)
            )
            try await social.upsertRequest(
                FriendRequestRecord(fromID: bob.id, toID: alice.id, message: "b→a", createdAtMs: 2)
            )
            let carolsRequest = FriendRequestRecord(fromID: carol.id, toID: bob.id, message: "c→b", createdAtMs: 3)
            try await social.upsertRequest(carolsRequest)
            #expect(try await social.areFriends(alice.id, bob.id) == false)

            try await social.makeFriends(alice.id, bob.id, nowMs: 5_000)

            #expect(try await social.areFriends(alice.id, bob.id))
            #expect(try await social.areFriends(bob.id, alice.id))
            #expect(try await social.areFriends(alice.id, carol.id) == false)
            #expect(try await social.request(from: alice.id, to: bob.id) == nil)
            #expect(try await social.request(from: bob.id, to: alice.id) == nil)
            // Requests between other people stay.
            #expect(try await social.incomingRequests(of: bob.id) == [carolsRequest])
            #expect(try await social.friendIDs(of: alice.id) == [bob.id])
            #expect(try await social.friendIDs(of: bob.id) == [alice.id])
            #expect(try await social.friendIDs(of: carol.id).isEmpty)

            // Making friends again changes nothing.
            try await social.makeFriends(bob.id, alice.id, nowMs: 9_000)
            let friends = try await social.friends(of: alice.id)
            #expect(friends.count == 1)
            #expect(friends.first?.sinceMs == 5_000)
        }
    }

    @Test func friendsCarryTheirOwnRemarkAndBlock() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            let social = db.social
            try await social.makeFriends(alice.id, bob.id, nowMs: 5_000)
            try await social.makeFriends(alice.id, carol.id, nowMs: 6_000)

            var alices = try await social.friends(of: alice.id).sorted { $0.friendID < $1.friendID }
            #expect(alices.map(\.friendID) == [bob.id, carol.id])
            #expect(alices.map(\.remark) == ["", ""])
            #expect(alices.map(\.sinceMs) == [5_000, 6_000])
            #expect(alices.allSatisfy { !$0.blockedByMe })

            // Remarks are per direction.
            #expect(try await social.setRemark(user: alice.id, friend: bob.id, remark: "Bobby 🐻"))
            #expect(try await social.setRemark(user: bob.id, friend: carol.id, remark: "not a friend") == false)
            alices = try await social.friends(of: alice.id).sorted { $0.friendID < $1.friendID }
            #expect(alices.first?.friendID == bob.id)
            #expect(alices.first?.remark == "Bobby 🐻")
            #expect(alices.last?.remark == "")
            let bobs = try await social.friends(of: bob.id)
            #expect(bobs.count == 1)
            #expect(bobs.first?.friendID == alice.id)
            #expect(bobs.first?.remark == "")

            // Blocking shows on the blocker's side only.
            try await social.setBlocked(blocker: alice.id, blocked: bob.id, true)
            alices = try await social.friends(of: alice.id).sorted { $0.friendID < $1.friendID }
            #expect(alices.map(\.blockedByMe) == [true, false])
            #expect(try await social.friends(of: bob.id).first?.blockedByMe == false)
            // Blocking does not end the friendship or lose the remark.
            #expect(try await social.areFriends(alice.id, bob.id))
            #expect(alices.first?.remark == "Bobby 🐻")

            try await social.setBlocked(blocker: alice.id, blocked: bob.id, false)
            #expect(try await social.friends(of: alice.id).allSatisfy { !$0.blockedByMe })
        }
    }

    @Test func blocksCountEitherWay() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            let social = db.social

            #expect(try await social.isBlockedEitherWay(alice.id, bob.id) == false)

            // Strangers can be blocked too, and blocking twice is harmless.
            try await social.setBlocked(blocker: alice.id, blocked: bob.id, true)
            try await social.setBlocked(blocker: alice.id, blocked: bob.id, true)
            #expect(try await social.isBlockedEitherWay(alice.id, bob.id))
            #expect(try await social.isBlockedEitherWay(bob.id, alice.id))
            #expect(try await social.isBlockedEitherWay(alice.id, carol.id) == false)
            #expect(try await social.isBlockedEitherWay(bob.id, carol.id) == false)

            // Both block; one unblocking leaves the other's block in place.
            try await social.setBlocked(blocker: bob.id, blocked: alice.id, true)
            try await social.setBlocked(blocker: alice.id, blocked: bob.id, false)
            #expect(try await social.isBlockedEitherWay(alice.id, bob.id))
            try await social.setBlocked(blocker: bob.id, blocked: alice.id, false)
            #expect(try await social.isBlockedEitherWay(alice.id, bob.id) == false)
            #expect(try await social.isBlockedEitherWay(bob.id, alice.id) == false)

            // Unblocking someone never blocked is harmless.
            try await social.setBlocked(blocker: carol.id, blocked: alice.id, false)
            #expect(try await social.isBlockedEitherWay(alice.id, carol.id) == false)
        }
    }

    @Test func removeFriendshipEndsItBothWays() async throws {
        try await withTemporaryDirectory { directory in
            let db = try TestDatabase(in: directory)
            let alice = try await db.makeUser("alice")
            let bob = try await db.makeUser("bob")
            let carol = try await db.makeUser("carol")
            let social = db.social
            try await social.makeFriends(alice.id, bob.id, nowMs: 1)
            try await social.makeFriends(alice.id, carol.id, nowMs: 2)
            _ = try await social.setRemark(user: bob.id, friend: alice.id, remark: "Ally")

            #expect(try await social.removeFriendship(bob.id, alice.id))
            #expect(try await social.areFriends(alice.id, bob.id) == false)
            #expect(try await social.areFriends(bob.id, alice.id) == false)
            #expect(try await social.friends(of: bob.id).isEmpty)
            #expect(try await social.friendIDs(of: alice.id) == [carol.id])
            #expect(try await social.removeFriendship(alice.id, bob.id) == false)
            #expect(try await social.setRemark(user: bob.id, friend: alice.id, remark: "gone") == false)

            // Becoming friends again starts fresh.
            try await social.makeFriends(alice.id, bob.id, nowMs: 10)
            let bobs = try await social.friends(of: bob.id)
            #expect(bobs.first?.remark == "")
            #expect(bobs.first?.sinceMs == 10)
        }
    }
}
