import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Testing

/// Every rate limit, through the real gate and chat server: a clear `rate_limited` error (429 and
/// `Retry-After` over HTTP), nothing lost, and the limit lifts when its time is up.
@Suite struct RateLimitTests {
    static func signIn(_ stack: TestStack, _ account: String, _ password: String) async throws -> GateAPITests.Reply {
        try await GateAPITests.call(
            stack,
            .POST,
            "/api/v1/sessions",
            json: #"{"account":"\#(account)","password":"\#(password)"}"#
        )
    }

    @Test func failedSignInsLockTheAccountOutForAGrowingTime() async throws {
        var limits = TestStack.defaultLimits
        limits.signInFailuresPerAccount = FailureBackoff(freeFailures: 3, baseLockoutSeconds: 1)
        let time = ManualWallClock()
        try await withTestStack(limits: limits, clock: time.clock) { stack in
            try await stack.register("alice")

            for _ in 0..<2 {
                #expect(try await Self.signIn(stack, "alice", "wrong guess").errorCode == "invalid_credentials")
            }
            // The third failure costs a second; until then even the right password is refused, before bcrypt runs.
            #expect(try await Self.signIn(stack, "alice", "wrong guess").errorCode == "invalid_credentials")
            let locked = try await Self.signIn(stack, "alice", "correct horse")
            #expect(locked.status == 429)
            #expect(locked.errorCode == "rate_limited")
            #expect(locked.headers.first(name: "Retry-After") == "1")
            #expect(locked.errorMessage?.contains("Too many failed sign-ins") == true)
            // Other accounts are not affected.
            try await stack.register("bob")
            #expect(try await Self.signIn(stack, "bob", "correct horse").status == 200)

            time.advance(byMs: 1000)
            #expect(try await Self.signIn(stack, "alice", "correct horse").status == 200)
            // A success clears the account's record: one more mistake is free again.
            #expect(try await Self.signIn(stack, "alice", "wrong guess").errorCode == "invalid_credentials")
            #expect(try await Self.signIn(stack, "alice", "correct horse").status == 200)
        }
    }

    @Test func failedSignInsFromOneAddressAcrossManyAccountsAreLimited() async throws {
        var limits = TestStack.defaultLimits
        limits.signInFailuresPerAddress = FailureBackoff(freeFailures: 4, baseLockoutSeconds: 30)
        try await withTestStack(limits: limits) { stack in
            for name in ["u1", "u2", "u3", "u4"] {
                #expect(try await Self.signIn(stack, name, "guess").errorCode == "invalid_credentials")
            }
            let refused = try await Self.signIn(stack, "u5", "guess")
            #expect(refused.status == 429)
            // 30 s from the lockout, which began a moment before (a second, on a loaded machine).
            #expect(["29", "30"].contains(refused.headers.first(name: "Retry-After") ?? ""))
        }
    }

    /// `GET /chat-server` is limited per address: a token guesser gets 429, not the status
    /// service's attention.
    @Test func chatServerLookupsAreLimitedPerAddress() async throws {
        var limits = TestStack.defaultLimits
        limits.chatServerLookupsPerAddress = .per(3600, 10)
        try await withTestStack(limits: limits) { stack in
            var answers: [ErrorCode] = []
            for index in 0..<12 {
                do {
                    _ = try await stack.gate.chatServer(token: "guess-\(index)")
                } catch let error as ChatError {
                    answers.append(error.code)
                }
            }
            #expect(answers.prefix(10).allSatisfy { $0 == .invalidToken })
            #expect(answers.suffix(2) == [.rateLimited, .rateLimited])
        }
    }

    @Test func codeMailsArePerEmailAndPerAddress() async throws {
        var limits = TestStack.defaultLimits
        limits.codeSendsPerAddress = .per(3600, 3)
        try await withTestStack(limits: limits) { stack in
            func requestCode(_ email: String) async throws -> GateAPITests.Reply {
                try await GateAPITests.call(
                    stack,
                    .POST,
                    "/api/v1/verification-codes",
                    json: #"{"email":"\#(email)","purpose":"register"}"#
                )
            }
            #expect(try await requestCode("a@example.com").status == 202)
            // The same address again within the minute: refused by the per-email rule.
            let again = try await requestCode("a@example.com")
            #expect(again.status == 429)
            #expect(again.errorCode == "rate_limited")
            #expect(try await requestCode("b@example.com").status == 202)
            let third = try await requestCode("c@example.com")
            #expect(third.status == 429, "the per-address budget (3 an hour) is spent: \(third.json)")
            #expect(Int(third.headers.first(name: "Retry-After") ?? "") ?? 0 > 60)
            #expect(third.errorMessage?.contains("from your network") == true)
        }
    }

    @Test func messagesPerSecondAreLimitedAndTheOutboxStillDeliversEverything() async throws {
        var limits = TestStack.defaultLimits
        limits.messagesPerUser = RateLimit(perSecond: 5, burst: 10)
        try await withTestStack(limits: limits) { stack in
            let (alice, bob, aliceID, bobID) = try await stack.friends()

            // A raw client flooding: some are refused with rate_limited, none is stored twice.
            let raw = try await RawClient.connect(stack: stack, token: alice.credentials.token)
            let outcomes = await withTaskGroup(of: ChatError?.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        var send = WireSendMessage()
                        send.toUserID = bobID
                        send.clientMsgID = "flood-\(i)"
                        send.text = "flood \(i)"
                        do {
                            _ = try await raw.request(.sendMessage(send))
                            return nil
                        } catch {
                            return (error as? ChatError) ?? .internalError()
                        }
                    }
                }
                return await group.reduce(into: [ChatError?]()) { $0.append($1) }
            }
            let accepted = outcomes.filter { $0 == nil }.count
            let refusals = outcomes.compactMap { $0 }
            let refused = refusals.count
            #expect(refusals.allSatisfy { $0.code == .rateLimited && $0.message.contains("too fast") }, "\(refusals)")
            #expect(accepted >= 10 && refused > 0, "accepted \(accepted), refused \(refused)")
            await raw.close()

            // The real client's outbox treats the limit as "later": all 20 arrive, in order.
            for i in 1...20 { try await alice.send("paced \(i)", to: bobID) }
            try await eventually(30, "the outbox drains") { await alice.state.outbox.isEmpty }
            // Alice's outbox empties on the last ack; Bob's push of it may still be on its way, and
            // his history reads his cache up to the newest sequence he knows.
            let lastPaced = try #require(await alice.state.conversations[bobID]?.lastSeq)
            try await eventually(10, "Bob has the last message") {
                await bob.state.conversations[aliceID]?.lastSeq ?? 0 >= lastPaced
            }
            let history = try await bob.history(with: aliceID, limit: 100)
            let paced = history.reversed().map(\.text).filter { $0.hasPrefix("paced") }
            #expect(paced == (1...20).map { "paced \($0)" })
            await alice.stop()
            await bob.stop()
        }
    }

    @Test func friendRequestsPerDayAreLimited() async throws {
        var limits = TestStack.defaultLimits
        limits.friendRequestsPerUser = .per(86_400, 2)
        try await withTestStack(limits: limits) { stack in
            let alice = try await stack.user("alice")
            var ids: [UserID] = []
            for name in ["peer1", "peer2", "peer3"] { ids.append(try await stack.register(name).userId) }
            try await alice.sendFriendRequest(to: ids[0], message: "hi")
            try await alice.sendFriendRequest(to: ids[1], message: "hi")
            do {
                try await alice.sendFriendRequest(to: ids[2], message: "hi")
                Issue.record("a third request in a day went through")
            } catch let error as ChatError {
                #expect(error.code == .rateLimited)
                // Half a day (2 a day), less the moments the test took.
                let prefix = "You have sent too many friend requests today. Try again in "
                let wait = Int(error.message.dropFirst(prefix.count).prefix { $0.isNumber }) ?? 0
                #expect(error.message.hasPrefix(prefix) && (43_100...43_200).contains(wait), "\(error.message)")
            }
            await alice.stop()
        }
    }

    @Test func aFloodOfFramesIsAnsweredNotServedAndTheConnectionSurvives() async throws {
        var limits = TestStack.defaultLimits
        limits.framesPerConnection = RateLimit(perSecond: 1, burst: 20)
        let time = ManualWallClock()
        try await withTestStack(limits: limits, clock: time.clock) { stack in
            let alice = try await stack.user("alice")
            let raw = try await RawClient.connect(stack: stack, token: alice.credentials.token)
            let results = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<200 {
                    group.addTask { (try? await raw.request(.ping(WirePing()))) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            let served = results.filter { $0 }.count
            #expect(served >= 19 && served < 40, "served \(served) of 200 pings")
            time.advance(byMs: 1000)
            guard case .pong = try await raw.request(.ping(WirePing())) else {
                Issue.record("no pong after the flood")
                return
            }
            await raw.close()
            await alice.stop()
        }
    }
}
