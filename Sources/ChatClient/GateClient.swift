import AsyncHTTPClient
import ChatProtocol
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The client side of `GateAPI`: sign-up, sign-in, sign-out and password reset over HTTP.
///
/// A cluster runs several interchangeable gates. Given more than one URL, the client asks the one
/// that answered last, and when it cannot be reached (refused, unreachable, no answer in time)
/// asks the next, and remembers which answered: a dead gate costs one retry, not a failure.
/// Only a gate that cannot be reached is skipped; an answer (even an error) is final.
///
/// Failures come back as `ChatError` with the server's code and message, or `unavailable` when
/// no gate can be reached at all.
public struct GateClient: Sendable {
    /// Every gate, in the order given.
    public let baseURLs: [String]
    public let tls: ClientTLS
    let http: HTTPClient
    let timeout: TimeAmount
    private let current: CurrentGate

    /// The gate that answered last (the first one to begin with).
    public var baseURL: String { baseURLs[current.index.load(ordering: .relaxed)] }

    /// `baseURL` like `http://127.0.0.1:8888` or `https://chat.example.org:8888`.
    public init(
        baseURL: String,
        tls: ClientTLS = ClientTLS(),
        http: HTTPClient? = nil,
        timeout: TimeAmount = .seconds(15)
    ) {
        self.init(baseURLs: [baseURL], tls: tls, http: http, timeout: timeout)
    }

    /// Several gates of one cluster, tried in turn when one cannot be reached. With more than
    /// one, `http` defaults to `failFastHTTP`, so a dead gate is skipped at once.
    public init(
        baseURLs: [String],
        tls: ClientTLS = ClientTLS(),
        http: HTTPClient? = nil,
        timeout: TimeAmount = .seconds(15)
    ) {
        precondition(!baseURLs.isEmpty, "a gate client needs at least one gate")
        self.baseURLs = baseURLs.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.tls = tls
        self.http = http ?? (baseURLs.count > 1 ? Self.failFastHTTP : Self.standardHTTP)
        self.timeout = timeout
        self.current = CurrentGate()
    }

    /// The HTTP client for one gate: as `HTTPClient.shared`, but a kept-alive connection is
    /// dropped after 10 s idle, under the gate's 15 s idle close, so it is never reused the
    /// instant the gate closes it (a POST on it failed with "connection reset"). Lives as long as
    /// the process.
    public static let standardHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.idleTimeout = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// An HTTP client that gives up on a gate it cannot connect to at once (refused) or within
    /// 3 s (unreachable), instead of retrying until the request's deadline as `HTTPClient.shared`
    /// does: with other gates to ask, waiting on a dead one only delays the user. Lives as long
    /// as the process, like `.shared`.
    public static let failFastHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(3)
        configuration.connectionPool.idleTimeout = .seconds(10)  // see `standardHTTP`
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Which gate answered last, shared by copies of this client.
    private final class CurrentGate: Sendable {
        let index = Atomic(0)
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

    /// Whether `username` could be signed up with now: a form asks before the code is spent.
    public func usernameAvailability(_ username: String) async throws -> GateAPI.UsernameAvailability {
        // One path segment whatever was typed: everything but letters, digits, "-", "_" and "~" is
        // percent-encoded ("." too, so "." and ".." cannot read as the path's own dots).
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~")
        let segment = username.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
        return try await send(.GET, "usernames/\(segment)", expecting: GateAPI.UsernameAvailability.self)
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
        let bodyBytes = try body.map { try JSONEncoder().encode($0) }
        let first = current.index.load(ordering: .relaxed)
        var unreachable: ChatError?
        for attempt in 0..<baseURLs.count {
            let index = (first + attempt) % baseURLs.count
            let answer: (HTTPClientResponse, ByteBuffer)
            do {
                answer = try await exchange(method, baseURLs[index], path, bodyBytes, token)
            } catch let error as ChatError {
                // A gate that cannot be reached (or not securely): try the next one.
                guard error.code == .unavailable else { throw error }
                unreachable = unreachable ?? error
                continue
            }
            if index != first { current.index.store(index, ordering: .relaxed) }
            return try Self.decode(answer.0, answer.1)
        }
        let failure = unreachable ?? ConnectionFailure.unreachable(baseURL, nil)
        guard baseURLs.count > 1 else { throw failure }
        let others = baseURLs.count - 1
        throw ChatError(
            .unavailable,
            "\(failure.message) The other \(others == 1 ? "server" : "\(others) servers") did not answer either."
        )
    }

    /// One request to one gate. Throws `unavailable` when the gate cannot be reached.
    private func exchange(
        _ method: HTTPMethod,
        _ baseURL: String,
        _ path: String,
        _ body: Data?,
        _ token: String?
    ) async throws -> (HTTPClientResponse, ByteBuffer) {
        var request = HTTPClientRequest(url: "\(baseURL)\(GateAPI.prefix)/\(path)")
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if tls.caFile != nil, baseURL.hasPrefix("https:") { request.tlsConfiguration = tls.configuration }
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            return (response, try await response.body.collect(upTo: 1 << 20))
        } catch {
            throw ClientTLS.describe(error, server: baseURL) ?? ConnectionFailure.unreachable(baseURL, error)
        }
    }

    private static func decode(_ response: HTTPClientResponse, _ buffer: ByteBuffer) throws -> Data {
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
