import ChatProtocol
import ChatServices
import Foundation
import Hummingbird
import NIOCore

/// The routes of `GateAPI`, each a thin translation between JSON and the account service.
struct GateRoutes {
    let accounts: AccountService

    func register(on router: Router<GateRequestContext>) {
        let api = router.group(RouterPath(GateAPI.prefix))
        api.get("health") { _, _ in
            try Self.json(GateAPI.HealthResponse(status: "ok"))
        }
        api.post("verification-codes") { request, context in
            let body = try await Self.decode(GateAPI.SendCodeRequest.self, from: request, context: context)
            try await accounts.sendCode(
                email: body.email,
                purpose: CodePurpose(body.purpose),
                client: Self.client(context)
            )
            return try Self.json(["status": "sent"], status: .accepted)
        }
        api.post("users") { request, context in
            let body = try await Self.decode(GateAPI.RegisterRequest.self, from: request, context: context)
            let user = try await accounts.register(
                username: body.username,
                email: body.email,
                password: body.password,
                code: body.code
            )
            return try Self.json(GateAPI.RegisterResponse(userId: user, username: body.username), status: .created)
        }
        api.post("sessions") { request, context in
            let body = try await Self.decode(GateAPI.LoginRequest.self, from: request, context: context)
            let signedIn = try await accounts.signIn(
                account: body.account,
                password: body.password,
                client: Self.client(context)
            )
            return try Self.json(
                GateAPI.LoginResponse(
                    userId: signedIn.userID,
                    username: signedIn.username,
                    token: signedIn.token.token,
                    expiresAt: signedIn.token.expiresAtMs / 1000,
                    chatServer: GateAPI.ChatServerAddress(signedIn.chatServer)
                )
            )
        }
        api.delete("sessions/current") { request, _ in
            try await accounts.signOut(token: try Self.bearerToken(request))
            return Response(status: .noContent)
        }
        api.get("chat-server") { request, context in
            let (user, server) = try await accounts.chatServer(
                forToken: try Self.bearerToken(request),
                client: Self.client(context)
            )
            return try Self.json(
                GateAPI.ChatServerResponse(userId: user, chatServer: GateAPI.ChatServerAddress(server))
            )
        }
        api.get("usernames/{name}") { _, context in
            // The segment as sent: percent-encoded bytes are decoded before the rules see them.
            let raw = try context.parameters.require("name")
            let answer = try await accounts.usernameAvailability(
                raw.removingPercentEncoding ?? raw,
                client: Self.client(context)
            )
            return try Self.json(GateAPI.UsernameAvailability(available: answer.available, reason: answer.reason))
        }
        api.post("password-resets") { request, context in
            let body = try await Self.decode(GateAPI.PasswordResetRequest.self, from: request, context: context)
            try await accounts.resetPassword(email: body.email, code: body.code, newPassword: body.newPassword)
            return Response(status: .noContent)
        }
    }

    /// The caller's address, which limits count by. (Behind a proxy this would read the
    /// forwarded-for header the proxy sets; the gate faces clients directly here.)
    static func client(_ context: GateRequestContext) -> String {
        context.remoteAddress?.ipAddress ?? "unknown"
    }

    static func bearerToken(_ request: Request) throws -> String {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw ChatError(.invalidToken, "Send the session token as 'Authorization: Bearer TOKEN'.")
        }
        return String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    /// Decodes a JSON body, naming the field at fault when it can.
    static func decode<T: Decodable>(
        _ type: T.Type,
        from request: Request,
        context: GateRequestContext
    ) async throws -> T {
        let buffer = try await request.body.collect(upTo: GateServer.maxBodyBytes)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw ChatError(.badRequest, describe(error))
        } catch {
            throw ChatError(.badRequest, "The request body is not valid JSON.")
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [CodingKey]) -> String {
            codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "The field '\(path(context.codingPath + [key]))' is missing."
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.codingPath.isEmpty
                ? "The request body must be a JSON object."
                : "The field '\(path(context.codingPath))' has the wrong type."
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "The request body is not valid JSON."
                : "The field '\(path(context.codingPath))' has a value that is not allowed."
        @unknown default:
            return "The request body is not valid."
        }
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

extension CodePurpose {
    init(_ purpose: GateAPI.CodePurpose) {
        switch purpose {
        case .register: self = .register
        case .reset: self = .reset
        }
    }
}

extension GateAPI.ChatServerAddress {
    init(_ server: ChatServerInfo) {
        self.init(host: server.host, port: server.port, tls: server.tls)
    }
}
