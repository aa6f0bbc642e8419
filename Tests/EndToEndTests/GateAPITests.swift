import AsyncHTTPClient
import ChatClient
import ChatProtocol
import ChatServices
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// The public HTTP contract, including everything a hostile or clumsy caller can send it.
@Suite struct GateAPITests {
    struct Reply {
        var status: UInt
        var json: [String: Any]
        var headers: HTTPHeaders = [:]
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }
    }

    static func call(
        _ stack: TestStack,
        _ method: HTTPMethod,
        _ path: String,
        body: [UInt8]? = nil,
        headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: stack.gateURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let buffer = try await response.body.collect(upTo: 1 << 20)
        let data = Data(buffer.readableBytesView)
        let json = data.isEmpty ? [:] : (try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:])
        return Reply(status: response.status.code, json: json, headers: response.headers)
    }

    static func call(
        _ stack: TestStack,
        _ method: HTTPMethod,
        _ path: String,
        json: String,
        headers: [(String, String)] = []
    ) async throws -> Reply {
        try await call(
            stack,
            method,
            path,
            body: Array(json.utf8),
            headers: [("Content-Type", "application/json")] + headers
        )
    }

    @Test func theContractAsDocumented() async throws {
        try await withTestStack { stack in
            let health = try await Self.call(stack, .GET, "/api/v1/health")
            #expect(health.status == 200 && health.json["status"] as? String == "ok")

            let sent = try await Self.call(
                stack,
                .POST,
                "/api/v1/verification-codes",
                json: #"{"email":"Zoe@Example.com","purpose":"register"}"#
            )
            #expect(sent.status == 202)
            let code = try stack.mailedCode(for: "zoe@example.com")
            #expect(code.count == 6 && code.allSatisfy(\.isNumber))

            let created = try await Self.call(
                stack,
                .POST,
                "/api/v1/users",
                json: #"{"username":"zoe","email":"zoe@example.com","password":"long enough","code":"\#(code)"}"#
            )
            #expect(created.status == 201)
            #expect(created.json["username"] as? String == "zoe")
            #expect(created.json["userId"] as? Int != nil)
            #expect(created.json["password"] == nil)

            for account in ["zoe", "ZOE@example.com"] {
                let login = try await Self.call(
                    stack,
                    .POST,
                    "/api/v1/sessions",
                    json: #"{"account":"\#(account)","password":"long enough"}"#
                )
                #expect(login.status == 200)
                #expect((login.json["token"] as? String)?.count ?? 0 >= 43)
                #expect(login.json["expiresAt"] as? Int ?? 0 > Int(Date().timeIntervalSince1970))
                let chat = login.json["chatServer"] as? [String: Any]
                #expect(chat?["host"] as? String == "127.0.0.1")
                #expect(chat?["port"] as? Int == stack.chatPorts[0])
            }

            let login = try await Self.call(
                stack,
                .POST,
                "/api/v1/sessions",
                json: #"{"account":"zoe","password":"long enough"}"#
            )
            let token = try #require(login.json["token"] as? String)
            let logout = try await Self.call(
                stack,
                .DELETE,
                "/api/v1/sessions/current",
                headers: [("Authorization", "Bearer \(token)")]
            )
            #expect(logout.status == 204)
            let again = try await Self.call(
                stack,
                .DELETE,
                "/api/v1/sessions/current",
                headers: [("Authorization", "Bearer \(token)")]
            )
            #expect(again.status == 401 && again.errorCode == "invalid_token")

            let reset = try await Self.call(
                stack,
                .POST,
                "/api/v1/verification-codes",
                json: #"{"email":"zoe@example.com","purpose":"reset"}"#
            )
            #expect(reset.status == 202)
            let resetCode = try stack.mailedCode(for: "zoe@example.com")
            let done = try await Self.call(
                stack,
                .POST,
                "/api/v1/password-resets",
                json: #"{"email":"zoe@example.com","code":"\#(resetCode)","newPassword":"brand new pass"}"#
            )
            #expect(done.status == 204)
            let newLogin = try await Self.call(
                stack,
                .POST,
                "/api/v1/sessions",
                json: #"{"account":"zoe","password":"brand new pass"}"#
            )
            #expect(newLogin.status == 200)
            // A reset for an address with no account says the same as for one that has one, and mails nothing.
            let unknown = try await Self.call(
                stack,
                .POST,
                "/api/v1/verification-codes",
                json: #"{"email":"nobody@example.com","purpose":"reset"}"#
            )
            #expect(unknown.status == 202)
            #expect(throws: ChatError.self) { try stack.mailedCode(for: "nobody@example.com") }
        }
    }

    @Test func malformedBodiesAndWrongTypesGetClearErrors() async throws {
        try await withTestStack { stack in
            let cases: [(String, String, String)] = [
                ("/api/v1/users", "not json at all", "bad_request"),
                ("/api/v1/users", "", "bad_request"),
                ("/api/v1/users", "[1,2,3]", "bad_request"),
                (
                    "/api/v1/users", #"{"username": 42, "email": "a@b.co", "password": "12345678", "code": "123456"}"#,
                    "bad_request"
                ),
                ("/api/v1/users", #"{"username": "amy"}"#, "bad_request"),
                (
                    "/api/v1/users", #"{"username": null, "email": "a@b.co", "password": "12345678", "code": "1"}"#,
                    "bad_request"
                ),
                ("/api/v1/verification-codes", #"{"email": "a@b.co", "purpose": "hack"}"#, "bad_request"),
                ("/api/v1/verification-codes", #"{"email": "not-an-email", "purpose": "register"}"#, "invalid_email"),
                ("/api/v1/verification-codes", #"{"email": "a\u0000@b.co", "purpose": "register"}"#, "invalid_email"),
                ("/api/v1/sessions", #"{"account": "x", "password": ["a"]}"#, "bad_request"),
                ("/api/v1/sessions", #"{"account": "ghost", "password": "whatever1"}"#, "invalid_credentials"),
                (
                    "/api/v1/password-resets", #"{"email": "a@b.co", "code": "000000", "newPassword": "short"}"#,
                    "weak_password"
                ),
                // SQL, format strings and control characters are data, refused by the rules or simply not found.
                (
                    "/api/v1/sessions", #"{"account": "admin' OR '1'='1' --", "password": "' OR ''='"}"#,
                    "invalid_credentials"
                ),
                ("/api/v1/sessions", #"{"account": "%s%s%n%x", "password": "%n%n%n%n"}"#, "invalid_credentials"),
                (
                    "/api/v1/users",
                    #"{"username": "x'; DROP TABLE users; --", "email": "a@b.co", "password": "12345678", "code": "123456"}"#,
                    "invalid_username"
                ),
                (
                    "/api/v1/users",
                    #"{"username": "%n%n%n", "email": "a@b.co", "password": "12345678", "code": "123456"}"#,
                    "invalid_username"
                ),
                (
                    "/api/v1/users",
                    #"{"username": "bell\u0007", "email": "a@b.co", "password": "12345678", "code": "123456"}"#,
                    "invalid_username"
                ),
                (
                    "/api/v1/verification-codes",
                    #"{"email": "a@b.co\r\nBcc: everyone@example.com", "purpose": "register"}"#, "invalid_email"
                ),
                (
                    "/api/v1/users", #"{"username": "amy", "email": "a@b.co", "password": "12345678", "code": 123456}"#,
                    "bad_request"
                ),
            ]
            for (path, body, code) in cases {
                let reply = try await Self.call(stack, .POST, path, json: body)
                #expect(reply.errorCode == code, "\(path) \(body) → \(reply.status) \(reply.json)")
                #expect((400..<500).contains(reply.status))
                #expect(!(reply.errorMessage ?? "").isEmpty)
            }
            // Missing fields are named.
            let missing = try await Self.call(stack, .POST, "/api/v1/users", json: #"{"username": "amy"}"#)
            #expect(
                missing.errorMessage?.contains("email") == true || missing.errorMessage?.contains("password") == true
            )

            // Invalid UTF-8 in the body.
            let invalidUTF8 = try await Self.call(
                stack,
                .POST,
                "/api/v1/sessions",
                body: Array(#"{"account": ""#.utf8) + [0xC3, 0x28] + Array(#"", "password": "x"}"#.utf8)
            )
            #expect(invalidUTF8.errorCode == "bad_request" || invalidUTF8.errorCode == "invalid_credentials")

            // Huge bodies are refused without being read to the end.
            let huge = try await Self.call(
                stack,
                .POST,
                "/api/v1/users",
                body: Array(repeating: UInt8(ascii: "a"), count: 2 << 20)
            )
            #expect(huge.status == 413 && huge.errorCode == "payload_too_large")

            // Unknown routes and methods.
            let unknown = try await Self.call(stack, .GET, "/api/v1/secrets")
            #expect(unknown.status == 404 && unknown.errorCode == "not_found")
            let wrongMethod = try await Self.call(stack, .PUT, "/api/v1/health")
            #expect(wrongMethod.status >= 400 && wrongMethod.errorCode != nil)

            // Odd headers.
            for header in ["Bearer", "Bearer ", "Basic abc", "Bearer \(String(repeating: "z", count: 4000))"] {
                let reply = try await Self.call(
                    stack,
                    .DELETE,
                    "/api/v1/sessions/current",
                    headers: [("Authorization", header)]
                )
                #expect(reply.status == 401 && reply.errorCode == "invalid_token", "\(header.prefix(20))")
            }
            // A body that is not JSON whatever its Content-Type says, and a header flood.
            let wrongType = try await Self.call(
                stack,
                .POST,
                "/api/v1/sessions",
                body: Array("account=a&password=b".utf8),
                headers: [("Content-Type", "application/x-www-form-urlencoded")]
            )
            #expect(wrongType.status == 400 && wrongType.errorCode == "bad_request")
            let manyHeaders = (0..<100).map { ("X-Junk-\($0)", String(repeating: "j", count: 100)) }
            let junk = try await Self.call(stack, .GET, "/api/v1/health", headers: manyHeaders)
            #expect(junk.status == 200)
            let health = try await Self.call(stack, .GET, "/api/v1/health")
            #expect(health.status == 200)
        }
    }

    @Test func accountRulesAndCodes() async throws {
        try await withTestStack { stack in
            let email = "kim@example.com"
            try await stack.gate.requestCode(email: email, purpose: .register)
            let code = try stack.mailedCode(for: email)

            // A second code within a minute is refused with a clear wait.
            await #expect(throws: ChatError.self) { try await stack.gate.requestCode(email: email, purpose: .register) }

            func register(_ username: String, _ password: String = "good password", code: String) async -> ErrorCode? {
                do {
                    _ = try await stack.gate.register(username: username, email: email, password: password, code: code)
                    return nil
                } catch let error as ChatError {
                    return error.code
                } catch {
                    return .internalError
                }
            }
            // Hostile usernames are refused, not stored.
            #expect(await register("robert'); DROP TABLE users;--", code: code) == .invalidUsername)
            #expect(await register("kim\u{1B}[31m", code: code) == .invalidUsername)
            #expect(await register("kim\u{0}", code: code) == .invalidUsername)
            #expect(await register("%s%s%n", code: code) == .invalidUsername)
            #expect(await register("kim", "short", code: code) == .weakPassword)

            // Wrong codes count; the right one still works before the fifth.
            #expect(await register("kim", code: "000000") == .invalidCode || code == "000000")
            #expect(await register("kim", code: code) == nil)
            // Replayed: the code is gone.
            try await stack.gate.requestCode(email: "lee@example.com", purpose: .register)
            let leeCode = try stack.mailedCode(for: "lee@example.com")
            _ = try await stack.gate.register(
                username: "lee",
                email: "lee@example.com",
                password: "good password",
                code: leeCode
            )
            // The code is spent; and no answer tells a stranger that the address has an account.
            await #expect(throws: ChatError.wrongOrExpiredCode) {
                _ = try await stack.gate.register(
                    username: "lee2",
                    email: "lee@example.com",
                    password: "good password",
                    code: leeCode
                )
            }
            // Taken names, in any case.
            try await stack.gate.requestCode(email: "max@example.com", purpose: .register)
            let maxCode = try stack.mailedCode(for: "max@example.com")
            do {
                _ = try await stack.gate.register(
                    username: "KIM",
                    email: "max@example.com",
                    password: "good password",
                    code: maxCode
                )
                Issue.record("a taken username was accepted")
            } catch let error as ChatError {
                #expect(error.code == .usernameTaken)
            }
            // And names that read like a taken one: a capital I for an l, a one, a zero.
            for lookalike in ["KIrn", "kirn", "k1m"] {
                let refused = await #expect(throws: ChatError.self, "\(lookalike)") {
                    _ = try await stack.gate.register(
                        username: lookalike,
                        email: "max@example.com",
                        password: "good password",
                        code: maxCode
                    )
                }
                #expect(refused?.code == .usernameTaken)
                #expect(refused?.message.contains("looks too much like 'kim'") == true, "\(refused?.message ?? "")")
            }
            // Five wrong tries burn the code.
            for _ in 1...4 {
                #expect(await registerMax(stack, code: "999999") == .invalidCode || maxCode == "999999")
            }
            #expect(await registerMax(stack, code: "999998") == .tooManyAttempts || maxCode == "999998")
            #expect(await registerMax(stack, code: maxCode) == .invalidCode)
        }
    }

    /// The code endpoints answer the same whether or not the address has an account; the mail
    /// says which it was, to the only person who should know.
    @Test func codeRequestsAnswerAlikeForKnownAndUnknownAddresses() async throws {
        let time = ManualWallClock()
        try await withTestStack(clock: time.clock) { stack in
            try await stack.register("kim")
            time.advance(byMs: 61_000)  // past the one-code-a-minute rule of the sign-up
            let mailbox = { (try? String(contentsOfFile: stack.mailboxPath, encoding: .utf8)) ?? "" }
            // Sign-up for a taken address: 202, and a note instead of a code.
            try await stack.gate.requestCode(email: "kim@example.com", purpose: .register)
            #expect(mailbox().contains("You already have a WeChat account"))
            // Reset for an address nobody uses: 202, and a note saying so.
            try await stack.gate.requestCode(email: "nobody@example.com", purpose: .reset)
            #expect(mailbox().contains("no account uses this address"))
            try await stack.gate.requestCode(email: "kim@example.com", purpose: .reset)
            // A second request within the minute: the same refusal for both.
            var answers: [ErrorCode?] = []
            for email in ["kim@example.com", "nobody@example.com"] {
                do {
                    try await stack.gate.requestCode(email: email, purpose: .reset)
                    answers.append(nil)
                } catch let error as ChatError {
                    answers.append(error.code)
                }
            }
            #expect(answers == [.rateLimited, .rateLimited])
        }
    }

    func registerMax(_ stack: TestStack, code: String) async -> ErrorCode? {
        do {
            _ = try await stack.gate.register(
                username: "max",
                email: "max@example.com",
                password: "good password",
                code: code
            )
            return nil
        } catch let error as ChatError {
            return error.code
        } catch {
            return .internalError
        }
    }
}
