import ChatProtocol
import ChatServices
import GRDB
import Testing

@testable import ChatServer

/// The caps that keep each social list one small reply: friends per person, and requests
/// waiting for an answer. Filled straight into the SQLite file (thousands of people), then
/// asked for through a connection, as a client would.
@Suite struct SocialGraphCapsTests {
    /// Adds `count` people to the database, returning their ids.
    static func addPeople(_ count: Int, named prefix: String, to fixture: ConnectionFixture) async throws -> [UserID] {
        let database = try #require(fixture.database)
        return try await database.pool.write { db in
            var ids: [UserID] = []
            for index in 0..<count {
                try db.execute(
                    sql: "INSERT INTO users(username, email, password_hash, created_at_ms) VALUES (?, ?, 'h', 1)",
                    arguments: ["\(prefix)\(index)", "\(prefix)\(index)@example.com"]
                )
                ids.append(db.lastInsertedRowID)
            }
            return ids
        }
    }

    static func request(to user: UserID, requestID: UInt64) -> WireEnvelope {
        var request = WireSendFriendRequest()
        request.toUserID = user
        return ConnectionFixture.request(.sendFriendRequest(request), requestID: requestID)
    }

    static func errorCode(_ envelope: WireEnvelope) -> String? {
        if case .error(let error) = envelope.payload { return error.code }
        return nil
    }

    @Test func noOneGetsMoreThanTheMostFriends() async throws {
        try await ConnectionFixture.with { fixture in
            let database = try #require(fixture.database)
            let people = try await Self.addPeople(ProtocolLimits.maxFriends + 1, named: "f", to: fixture)
            let alice = fixture.alice
            try await database.pool.write { db in
                // Bob is her friend already: with these she has the most.
                for friend in people.prefix(ProtocolLimits.maxFriends - 1) {
                    for (user, other) in [(alice, friend), (friend, alice)] {
                        try db.execute(
                            sql: "INSERT INTO friendships(user_id, friend_id, since_ms) VALUES (?, ?, 1)",
                            arguments: [user, other]
                        )
                    }
                }
            }
            let connection = try await fixture.connect()
            _ = try await connection.hello(fixture)
            try await connection.send(Self.request(to: people[ProtocolLimits.maxFriends], requestID: 2))
            let refused = try await connection.reply(to: 2)
            #expect(Self.errorCode(refused) == ErrorCode.limitReached.rawValue)
            // The full list is still one reply, well inside a frame.
            try await connection.send(ConnectionFixture.request(.listFriends(WireListFriends()), requestID: 3))
            guard case .friendList(let list) = try await connection.reply(to: 3).payload else {
                Issue.record("no friend list")
                return
            }
            #expect(list.friends.count == ProtocolLimits.maxFriends)
        }
    }

    /// Sending is limited per day, not by how many wait: someone ignored by many can still ask
    /// others. The lists show the newest, with a count of the incoming rest.
    @Test func requestListsShowTheNewestAndCountTheRest() async throws {
        try await ConnectionFixture.with { fixture in
            let database = try #require(fixture.database)
            let cap = ProtocolLimits.maxListedRequests
            let people = try await Self.addPeople(cap + 10, named: "r", to: fixture)
            let alice = fixture.alice
            // Alice has asked `cap + 5` people, and `cap + 10` people have asked Bob.
            try await database.pool.write { db in
                for (index, person) in people.enumerated() {
                    if index < cap + 5 {
                        try db.execute(
                            sql:
                                "INSERT INTO friend_requests(from_id, to_id, message, created_at_ms) VALUES (?, ?, '', ?)",
                            arguments: [alice, person, index]
                        )
                    }
                    try db.execute(
                        sql: "INSERT INTO friend_requests(from_id, to_id, message, created_at_ms) VALUES (?, ?, '', ?)",
                        arguments: [person, fixture.bob, index]
                    )
                }
            }
            let connection = try await fixture.connect()
            _ = try await connection.hello(fixture)
            try await connection.send(Self.request(to: people[cap + 7], requestID: 2))
            guard case .ok = try await connection.reply(to: 2).payload else {
                Issue.record("a request past the listed number was refused")
                return
            }
            try await connection.send(
                ConnectionFixture.request(.listFriendRequests(WireListFriendRequests()), requestID: 3)
            )
            guard case .friendRequestList(let mine) = try await connection.reply(to: 3).payload else {
                Issue.record("no request list")
                return
            }
            #expect(mine.outgoing.count == cap)
            #expect(mine.outgoing.first?.to.id == people[cap + 7])
            let bob = try await fixture.connect()
            _ = try await bob.hello(fixture, token: fixture.bobToken)
            try await bob.send(ConnectionFixture.request(.listFriendRequests(WireListFriendRequests()), requestID: 2))
            guard case .friendRequestList(let list) = try await bob.reply(to: 2).payload else {
                Issue.record("no request list")
                return
            }
            #expect(list.incoming.count == cap)
            #expect(list.moreIncoming == 10)
            #expect(list.incoming.first?.from.id == people.last)
        }
    }
}
