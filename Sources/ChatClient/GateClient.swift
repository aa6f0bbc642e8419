import AsyncHTTPClient
import ChatProtocol
import Foundation
import NIOCore
import NIOHTTP1

/// The client side of `GateAPI`: sign-up, sign-in, sign-out and password reset over HTTP.
///
/// Failures come back as `ChatError` with the server's code and message, or `unavailable` when
/// the gate cannot be reached at all.
public struct GateClient: Sendable {
    public let baseURL: String
    public let tls: ClientTLS
    let http: HTTPClient
    let timeout: TimeAmount

    /// `baseURL` like `http://127.0.0.1:8888` or `https://chat.example.org:8888`.
    public init(
        baseURL: String,
        tls: ClientTLS = ClientTLS(),
        http: HTTPClient = .shared,
        timeout: TimeAmount = .seconds(15)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.tls = tls
        self.http = http
        self.timeout = timeout
    }

    public func health() async throws -> GateAPI.HealthResponse {
        try await send(.GET, "health", expecting: GateAPI.HealthResponse.self)
    }

    public func requestCode(email: String, purpose: GateAPI.CodePurpose) async throws {
        _ = try await send(.POST, "verification-codes", body: GateAPI.SendCodeRequest(email: email, purpose: purpose))
    }

    public func register(
        username: String,
        email: String,
        password: String,
        code: String
    ) async throws -> GateAPI.RegisterResponse {
        try await send(
            .POST,
            "users",
            body: GateAPI.RegisterRequest(username: username, email: email, password: password, code: code),
            expecting: GateAPI.RegisterResponse.self
        )
    }

    public func login(account: String, password: String) async throws -> GateAPI.LoginResponse {
        try await send(
            .POST,
            "sessions",
            body: GateAPI.LoginRequest(account: account, password: password),
            expecting: GateAPI.LoginResponse.self
        )
    }

    public func logout(token: String) async throws {
        _ = try await send(.DELETE, "sessions/current", token: token)
    }

    public func resetPassword(email: String, code: String, newPassword: String) async throws {
        _ = try await send(
            .POST,
            "password-resets",
            body: GateAPI.PasswordResetRequest(email: email, code: code, newPassword: newPassword)
        )
    }

    /// Where to (re)connect with a saved token; `invalidToken` if the token no longer works.
    public func chatServer(token: String) async throws -> GateAPI.ChatServerResponse {
        try await send(.GET, "chat-server", token: token, expecting: GateAPI.ChatServerResponse.self)
    }

    // MARK: Plumbing

    private struct NoBody: Encodable {}

    private func send<Response: Decodable>(
        _ method: HTTPMethod,
        _ path: String,
        body: (some Encodable)? = NoBody?.none,
        token: String? = nil,
        expecting: Response.Type
    ) async throws -> Response {
        let data = try await send(method, path, body: body, token: token)
        do {
            return try JSONDecoder().decode(Response.self, from: data)
        } catch {
            throw ChatError(.internalError, "The server sent an answer this client does not understand.")
        }
    }

    @discardableResult
    private func send(
        _ method: HTTPMethod,
        _ path: String,
        body: (some Encodable)? = NoBody?.none,
        token: String? = nil
    ) async throws -> Data {
        var request = HTTPClientRequest(url: "\(baseURL)\(GateAPI.prefix)/\(path)")
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if tls.caFile != nil, baseURL.hasPrefix("https:") { request.tlsConfiguration = tls.configuration }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        let buffer: ByteBuffer
        do {
            response = try await http.execute(request, timeout: timeout)
            buffer = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw ClientTLS.describe(error, server: baseURL)
                ?? ChatError(.unavailable, "Cannot reach the server at \(baseURL).")
        }
        let data = Data(buffer.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            if let failure = try? JSONDecoder().decode(GateAPI.ErrorResponse.self, from: data) {
                throw ChatError(
                    ErrorCode(rawValue: failure.error.code) ?? .internalError,
                    failure.error.message,
                    retryAfterSeconds: failure.error.retryAfterSeconds
                )
            }
            throw ChatError(
                .internalError,
                "The server answered \(response.status.code) \(response.status.reasonPhrase)."
            )
        }
        return data
    }
}
