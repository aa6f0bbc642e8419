import ChatClient
import ChatProtocol
import Foundation
import Testing

/// Several gates given to one client: a gate that does not answer costs a retry, not a failure.
@Suite struct GateFailoverTests {
    /// A loopback port nothing listens on.
    static let deadGate = "http://127.0.0.1:1"

    @Test func aDeadGateIsSkippedAndTheLiveOneRemembered() async throws {
        try await withTestStack { stack in
            let live = stack.gateURL
            let gate = GateClient(baseURLs: [Self.deadGate, live], timeout: .seconds(5))
            #expect(gate.baseURL == Self.deadGate)
            try await gate.requestCode(email: "gina@example.com", purpose: .register)
            #expect(gate.baseURL == live)
            let code = try stack.mailedCode(for: "gina@example.com")
            _ = try await gate.register(
                username: "gina",
                email: "gina@example.com",
                password: "correct horse",
                code: code
            )
            // Copies share what was learnt: the session a TUI builds from its gate asks the live one.
            let copy = gate
            let login = try await copy.login(account: "gina", password: "correct horse")
            #expect(try await copy.chatServer(token: login.token).chatServer.port > 0)

            // An answer, even a refusal, is final: it is not retried elsewhere.
            let refused = await #expect(throws: ChatError.self) {
                try await gate.login(account: "gina", password: "wrong horse")
            }
            #expect(refused?.code == .invalidCredentials)
            #expect(gate.baseURL == live)
        }
    }

    @Test func whenNoGateAnswersTheErrorSaysSo() async throws {
        let gate = GateClient(baseURLs: [Self.deadGate, "http://127.0.0.1:2"], timeout: .seconds(5))
        let error = await #expect(throws: ChatError.self) { try await gate.health() }
        #expect(error?.code == .unavailable)
        #expect(
            error?.message
                == "Cannot reach the server at 127.0.0.1:1 (connection refused). The other server did not answer either."
        )
    }
}
