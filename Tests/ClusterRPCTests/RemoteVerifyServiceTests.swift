import ChatProtocol
import ChatServices
import ClusterRPC
import StoreTestSupport
import Testing

/// `VerifyService` across a process boundary: real gRPC on loopback to the in-process service.
@Suite struct RemoteVerifyServiceTests {
    @Test func aCodeSentRemotelyIsConsumedRemotelyOnce() async throws {
        try await ClusterRPCFixture.with { fixture in
            try await fixture.remoteVerify.sendCode(to: "Ann@Example.com", purpose: .register)
            let code = try #require(fixture.mail.lastCode(to: "ann@example.com"))
            try await fixture.remoteVerify.consumeCode(code, email: "ann@example.com", purpose: .register)
            let error = await #expect(throws: ChatError.self) {
                try await fixture.remoteVerify.consumeCode(code, email: "ann@example.com", purpose: .register)
            }
            #expect(error?.code == .invalidCode)
        }
    }

    @Test func theSendLimitCrossesWithItsRetryAfter() async throws {
        try await ClusterRPCFixture.with { fixture in
            try await fixture.remoteVerify.sendCode(to: "bo@example.com", purpose: .reset)
            let error = await #expect(throws: ChatError.self) {
                try await fixture.remoteVerify.sendCode(to: "bo@example.com", purpose: .reset)
            }
            #expect(error?.code == .rateLimited)
            #expect((error?.retryAfterSeconds ?? 0) > 0)
        }
    }

    @Test func aMailFailureIsUnavailableNotAHang() async throws {
        try await ClusterRPCFixture.with { fixture in
            fixture.mail.failing.store(true, ordering: .relaxed)
            let error = await #expect(throws: ChatError.self) {
                try await fixture.remoteVerify.sendCode(to: "cy@example.com", purpose: .register)
            }
            #expect(error?.code == .unavailable)
        }
    }
}
