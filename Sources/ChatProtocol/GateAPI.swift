/// The public JSON contract of the gate (HTTP). Names may be added to, never changed: the tests,
/// the terminal client and outside tools all speak it.
public enum GateAPI {
    public static let prefix = "/api/v1"

    public enum CodePurpose: String, Codable, Sendable {
        case register
        case reset
    }

    /// `POST /api/v1/verification-codes` → 202
    public struct SendCodeRequest: Codable, Sendable {
        public var email: String
        public var purpose: CodePurpose
        public init(email: String, purpose: CodePurpose) {
            self.email = email
            self.purpose = purpose
        }
    }

    /// `POST /api/v1/users` → 201 `RegisterResponse`
    public struct RegisterRequest: Codable, Sendable {
        public var username: String
        public var email: String
        public var password: String
        public var code: String
        public init(username: String, email: String, password: String, code: String) {
            self.username = username
            self.email = email
            self.password = password
            self.code = code
        }
    }

    public struct RegisterResponse: Codable, Sendable {
        public var userId: Int64
        public var username: String
        public init(userId: Int64, username: String) {
            self.userId = userId
            self.username = username
        }
    }

    /// `POST /api/v1/sessions` → 200 `LoginResponse`
    public struct LoginRequest: Codable, Sendable {
        public var account: String
        public var password: String
        public init(account: String, password: String) {
            self.account = account
            self.password = password
        }
    }

    public struct ChatServerAddress: Codable, Sendable, Hashable {
        public var host: String
        public var port: Int
        /// The chat server speaks TLS (absent in older answers: false).
        public var tls: Bool

        public init(host: String, port: Int, tls: Bool = false) {
            self.host = host
            self.port = port
            self.tls = tls
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            host = try container.decode(String.self, forKey: .host)
            port = try container.decode(Int.self, forKey: .port)
            tls = try container.decodeIfPresent(Bool.self, forKey: .tls) ?? false
        }
    }

    public struct LoginResponse: Codable, Sendable {
        public var userId: Int64
        public var username: String
        public var token: String
        /// Seconds since 1970 (UTC).
        public var expiresAt: Int64
        public var chatServer: ChatServerAddress
        public init(userId: Int64, username: String, token: String, expiresAt: Int64, chatServer: ChatServerAddress) {
            self.userId = userId
            self.username = username
            self.token = token
            self.expiresAt = expiresAt
            self.chatServer = chatServer
        }
    }

    /// `GET /api/v1/chat-server` with `Authorization: Bearer TOKEN` → 200 `ChatServerResponse`:
    /// where a signed-in client (re)connects, e.g. after its chat server restarted.
    public struct ChatServerResponse: Codable, Sendable {
        public var userId: Int64
        public var chatServer: ChatServerAddress
        public init(userId: Int64, chatServer: ChatServerAddress) {
            self.userId = userId
            self.chatServer = chatServer
        }
    }

    /// `POST /api/v1/password-resets` → 204
    public struct PasswordResetRequest: Codable, Sendable {
        public var email: String
        public var code: String
        public var newPassword: String
        public init(email: String, code: String, newPassword: String) {
            self.email = email
            self.code = code
            self.newPassword = newPassword
        }
    }

    /// `GET /api/v1/health` → 200
    public struct HealthResponse: Codable, Sendable {
        public var status: String
        public init(status: String) { self.status = status }
    }

    /// The body of every failure: `{"error": {"code": "...", "message": "..."}}`.
    public struct ErrorResponse: Codable, Sendable {
        public struct Body: Codable, Sendable {
            public var code: String
            public var message: String
            /// Set for `rate_limited`: seconds until trying again can succeed.
            public var retryAfterSeconds: Int?
        }
        public var error: Body
        public init(_ error: ChatError) {
            self.error = Body(
                code: error.code.rawValue,
                message: error.message,
                retryAfterSeconds: error.retryAfterSeconds
            )
        }
    }
}
