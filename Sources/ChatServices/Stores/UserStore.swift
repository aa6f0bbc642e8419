/// Accounts. The embedded implementation is SQLite; a split deployment uses PostgreSQL.
public protocol UserStore: Sendable {
    /// Throws `usernameTaken` or `emailTaken`.
    func createUser(username: String, email: String, passwordHash: String, nowMs: Int64) async throws -> UserRecord
    func user(id: UserID) async throws -> UserRecord?
    func users(ids: [UserID]) async throws -> [UserID: UserRecord]
    /// By username or email, without case.
    func user(account: String) async throws -> UserRecord?
    func usernameExists(_ username: String) async throws -> Bool
    /// An existing username that reads like `username` (the same `AccountRules.usernameSkeleton`),
    /// or nil: `aIice` (capital I) beside `alice`, `rnallory` beside `mallory`.
    func username(lookingLike username: String) async throws -> String?
    func emailExists(_ email: String) async throws -> Bool
    func updatePasswordHash(userID: UserID, hash: String) async throws
    /// Users whose username starts with `query`, or whose email is exactly `query` and who let
    /// themselves be found by it (`setFindableByEmail`; off unless they turn it on).
    func searchUsers(query: String, limit: Int) async throws -> [UserRecord]
    /// Whether others may find `userID` by searching for their exact email.
    func setFindableByEmail(userID: UserID, _ findable: Bool) async throws
    func isFindableByEmail(userID: UserID) async throws -> Bool
    /// Whether the user's read marks are shown to the people they chat with (on unless they turn
    /// it off; off also hides others' from them, as in WeChat).
    func setSendsReadReceipts(userID: UserID, _ sends: Bool) async throws
    func sendsReadReceipts(userID: UserID) async throws -> Bool
}
