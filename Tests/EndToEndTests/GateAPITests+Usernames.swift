import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import Testing

/// `GET /api/v1/usernames/{name}`: a sign-up form learns a name is taken before a code is spent.
extension GateAPITests {
    @Test func whetherAUsernameIsFreeAndWhyNot() async throws {
        try await withTestStack { stack in
            try await stack.register("alice")
            func ask(_ segment: String) async throws -> Reply {
                try await Self.call(stack, .GET, "/api/v1/usernames/\(segment)")
            }

            let free = try await ask("zoe")
            #expect(free.status == 200)
            #expect(free.json["available"] as? Bool == true)
            #expect(free.json["reason"] == nil)
            #expect(Set(free.json.keys) == ["available"])

            // Taken whatever its case, and a name that reads like it (capital I for l) too.
            for name in ["alice", "ALICE", "aIice"] {
                let taken = try await ask(name)
                #expect(taken.status == 200)
                #expect(taken.json["available"] as? Bool == false, "\(name)")
                #expect(
                    (taken.json["reason"] as? String)?.lowercased().contains("alice") == true,
                    "\(name): \(taken.json)"
                )
                // Nothing about the account behind it: only the public name.
                #expect(Set(taken.json.keys) == ["available", "reason"])
                #expect((taken.json["reason"] as? String)?.contains("@") == false)
            }
            #expect((try await ask("aIice").json["reason"] as? String)?.contains("looks too much like 'alice'") == true)

            // Against the rules: never available, the rule is the reason. Any segment is asked
            // about, percent-encoded ones decoded first (王 here).
            for segment in ["9lives", "%E7%8E%8B", "a%2Fb", "x"] {
                let invalid = try await ask(segment)
                #expect(invalid.status == 200, "\(segment)")
                #expect(invalid.json["available"] as? Bool == false, "\(segment)")
                #expect((invalid.json["reason"] as? String)?.isEmpty == false, "\(segment)")
            }

            // Another method on the path is 405 with Allow, as on every listed path.
            let posted = try await Self.call(stack, .POST, "/api/v1/usernames/zoe", json: "{}")
            #expect(posted.status == 405)
            #expect(posted.headers.first(name: "Allow") == "GET")

            // The client asks the same, whatever it is given to ask about.
            #expect(try await stack.gate.usernameAvailability("zoe") == .init(available: true))
            #expect(try await stack.gate.usernameAvailability("Alice").available == false)
            #expect(try await stack.gate.usernameAvailability("../health").available == false)
        }
    }

    @Test func usernameLookupsAreLimitedPerAddress() async throws {
        var limits = TestStack.defaultLimits
        limits.usernameLookupsPerAddress = .per(3600, 3)
        try await withTestStack(limits: limits) { stack in
            for name in ["zoe", "yan", "xu"] {
                #expect(try await Self.call(stack, .GET, "/api/v1/usernames/\(name)").status == 200)
            }
            let refused = try await Self.call(stack, .GET, "/api/v1/usernames/wei")
            #expect(refused.status == 429)
            #expect(refused.errorCode == "rate_limited")
            #expect(Int(refused.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
            #expect(refused.errorMessage?.contains("username lookups") == true)
        }
    }
}
