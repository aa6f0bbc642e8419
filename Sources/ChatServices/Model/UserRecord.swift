public typealias UserID = Int64

/// A user as the stores keep them. `passwordHash` is a bcrypt hash; nothing outside the account
/// service ever reads it.
public struct UserRecord: Sendable, Equatable {
    public var id: UserID
    public var username: String
    public var email: String
    public var passwordHash: String
    public var createdAtMs: Int64

    public init(id: UserID, username: String, email: String, passwordHash: String, createdAtMs: Int64) {
        self.id = id
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.createdAtMs = createdAtMs
    }
}
