import ChatServices
import PostgresStores
import PostgresTestSupport
import Testing

/// Requests, friendships and blocks on a real PostgreSQL server.
@Suite struct PostgresSocialStoreTests {
    /// Three users, alice, bob and carol, and the social store.
    static func withPeople(
        _ body: (PostgresSocialStore, _ alice: UserID, _ bob: UserID, _ carol: UserID) async throws -> Void
    ) async throws {
        try await PostgresStoresTests.withDatabase { database in
            let users = PostgresUserStore(database: database)
            var ids: [UserID] = []
            for name in ["alice", "bob", "carol"] {
                ids.append(
                    try await users.createUser(
                        username: name,
                        email: "\(name)@example.com",
                        passwordHash: "h",
                        nowMs: 1
                    ).id
                )
            }
            try await body(PostgresSocialStore(database: database), ids[0], ids[1], ids[2])
        }
    }

    /// Requests crossing at the same instant, on separate connections, end as a friendship: the
    /// check for the other request and the write are one transaction, both rows locked.
    @Test func requestsCrossingAtOnceBecomeAFriendship() async throws {
        try await PostgresStoresTests.withDatabase { database in
            let users = PostgresUserStore(database: database)
            let social = PostgresSocialStore(database: database)
            var ids: [UserID] = []
            for index in 0..<40 {
                ids.append(
                    try await users.createUser(
                        username: "p\(index)",
                        email: "p\(index)@example.com",
                        passwordHash: "h",
                        nowMs: 1
                    ).id
                )
            }
            let outcomes = try await withThrowingTaskGroup(of: FriendRequestOutcome.self) { group in
                for pair in 0..<20 {
                    let (a, b) = (ids[pair * 2], ids[pair * 2 + 1])
                    for (from, to) in [(a, b), (b, a)] {
                        group.addTask {
                            try await social.sendRequest(
                                FriendRequestRecord(fromID: from, toID: to, message: "", createdAtMs: 2)
                            )
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .befriended }.count == 20)
            for pair in 0..<20 {
                #expect(try await social.areFriends(ids[pair * 2], ids[pair * 2 + 1]))
                #expect(try await social.incomingRequests(of: ids[pair * 2]).isEmpty)
                #expect(try await social.incomingRequests(of: ids[pair * 2 + 1]).isEmpty)
            }
        }
    }

    /// Incoming requests from people the user blocked are left out (and not counted); the
    /// newest come first, at most `limit`.
    @Test func incomingRequestsLeaveOutTheBlockedAndStopAtTheLimit() async throws {
        try await Self.withPeople { social, alice, bob, carol in
            try await social.upsertRequest(FriendRequestRecord(fromID: bob, toID: alice, message: "", createdAtMs: 1))
            try await social.upsertRequest(FriendRequestRecord(fromID: carol, toID: alice, message: "", createdAtMs: 2))
            #expect(try await social.incomingRequests(of: alice, limit: 1).map(\.fromID) == [carol])
            #expect(try await social.incomingRequestCount(of: alice) == 2)
            try await social.setBlocked(blocker: alice, blocked: carol, true)
            #expect(try await social.incomingRequests(of: alice, limit: 5).map(\.fromID) == [bob])
            #expect(try await social.incomingRequestCount(of: alice) == 1)
        }
    }

    @Test func requestsAreRefreshedListedAndDeleted() async throws {
        try await Self.withPeople { social, alice, bob, carol in
            try await social.upsertRequest(
                FriendRequestRecord(fromID: alice, toID: bob, message: "hi", createdAtMs: 10)
            )
            try await social.upsertRequest(
                FriendRequestRecord(fromID: carol, toID: bob, message: "yo", createdAtMs: 20)
            )
            // Asking again refreshes the one request.
            try await social.upsertRequest(
                FriendRequestRecord(fromID: alice, toID: bob, message: "hi again", createdAtMs: 30)
            )
            #expect(try await social.request(from: alice, to: bob)?.message == "hi again")
            #expect(try await social.incomingRequests(of: bob).map(\.fromID) == [alice, carol])
            #expect(try await social.outgoingRequests(of: alice).map(\.toID) == [bob])
            #expect(try await social.request(from: bob, to: alice) == nil)
            #expect(try await social.deleteRequest(from: carol, to: bob))
            #expect(try await social.deleteRequest(from: carol, to: bob) == false)
            #expect(try await social.incomingRequests(of: bob).count == 1)
        }
    }

    @Test func friendshipIsBothWaysAndTakesTheRequestsWithIt() async throws {
        try await Self.withPeople { social, alice, bob, carol in
            try await social.upsertRequest(FriendRequestRecord(fromID: alice, toID: bob, message: "hi", createdAtMs: 1))
            try await social.upsertRequest(FriendRequestRecord(fromID: bob, toID: alice, message: "hi", createdAtMs: 2))
            try await social.makeFriends(alice, bob, nowMs: 100)
            try await social.makeFriends(alice, bob, nowMs: 200)  // again: nothing changes
            #expect(try await social.areFriends(alice, bob))
            #expect(try await social.areFriends(bob, alice))
            #expect(try await social.areFriends(alice, carol) == false)
            #expect(try await social.incomingRequests(of: bob).isEmpty)
            #expect(try await social.incomingRequests(of: alice).isEmpty)
            #expect(try await social.friendIDs(of: alice) == [bob])
            #expect(
                try await social.friends(of: bob)
                    == [FriendshipRecord(friendID: alice, remark: "", sinceMs: 100, blockedByMe: false)]
            )
            // Each side's remark is its own.
            #expect(try await social.setRemark(user: alice, friend: bob, remark: "Bobby 🐻"))
            #expect(try await social.friends(of: alice).first?.remark == "Bobby 🐻")
            #expect(try await social.friends(of: bob).first?.remark == "")
            #expect(try await social.setRemark(user: alice, friend: carol, remark: "x") == false)

            #expect(try await social.removeFriendship(bob, alice))
            #expect(try await social.removeFriendship(bob, alice) == false)
            #expect(try await social.areFriends(alice, bob) == false)
            #expect(try await social.friendIDs(of: bob).isEmpty)
        }
    }

    @Test func blocksAreOneWayButCountEitherWay() async throws {
        try await Self.withPeople { social, alice, bob, carol in
            try await social.makeFriends(alice, bob, nowMs: 1)
            try await social.setBlocked(blocker: alice, blocked: bob, true)
            try await social.setBlocked(blocker: alice, blocked: bob, true)
            #expect(try await social.isBlockedEitherWay(alice, bob))
            #expect(try await social.isBlockedEitherWay(bob, alice))
            #expect(try await social.isBlockedEitherWay(alice, carol) == false)
            #expect(try await social.friends(of: alice).first?.blockedByMe == true)
            #expect(try await social.friends(of: bob).first?.blockedByMe == false)
            try await social.setBlocked(blocker: alice, blocked: bob, false)
            #expect(try await social.isBlockedEitherWay(alice, bob) == false)
        }
    }
}
