import ChatProtocol
import ChatServices
import Synchronization

/// `UserStore` in a dictionary: a double that shows the chat server needs no particular database.
final class MemoryUserStore: UserStore {
    private let users = Mutex<[UserID: UserRecord]>([:])
    private let findable = Mutex<Set<UserID>>([])
    private let withoutReceipts = Mutex<Set<UserID>>([])

    func setSendsReadReceipts(userID: UserID, _ sends: Bool) async throws {
        _ = withoutReceipts.withLock { sends ? $0.remove(userID) : $0.insert(userID).memberAfterInsert }
    }

    func sendsReadReceipts(userID: UserID) async throws -> Bool {
        !withoutReceipts.withLock { $0.contains(userID) }
    }

    func createUser(username: String, email: String, passwordHash: String, nowMs: Int64) async throws -> UserRecord {
        try users.withLock { users in
            if users.values.contains(where: { $0.username.lowercased() == username.lowercased() }) {
                throw ChatError(.usernameTaken, "taken")
            }
            if users.values.contains(where: { $0.email == email }) { throw ChatError(.emailTaken, "taken") }
            let user = UserRecord(
                id: Int64(users.count + 1),
                username: username,
                email: email,
                passwordHash: passwordHash,
                createdAtMs: nowMs
            )
            users[user.id] = user
            return user
        }
    }

    func user(id: UserID) async throws -> UserRecord? { users.withLock { $0[id] } }

    func users(ids: [UserID]) async throws -> [UserID: UserRecord] {
        users.withLock { users in users.filter { ids.contains($0.key) } }
    }

    func user(account: String) async throws -> UserRecord? {
        users.withLock { users in
            users.values.first { $0.username.lowercased() == account.lowercased() || $0.email == account.lowercased() }
        }
    }

    func usernameExists(_ username: String) async throws -> Bool { try await user(account: username) != nil }

    func username(lookingLike username: String) async throws -> String? {
        let skeleton = AccountRules.usernameSkeleton(username)
        return users.withLock { $0.values.first { AccountRules.usernameSkeleton($0.username) == skeleton }?.username }
    }

    func emailExists(_ email: String) async throws -> Bool { try await user(account: email) != nil }

    func setFindableByEmail(userID: UserID, _ findable: Bool) async throws {
        self.findable.withLock { set in
            if findable { set.insert(userID) } else { set.remove(userID) }
        }
    }

    func isFindableByEmail(userID: UserID) async throws -> Bool { findable.withLock { $0.contains(userID) } }

    func updatePasswordHash(userID: UserID, hash: String) async throws {
        users.withLock { $0[userID]?.passwordHash = hash }
    }

    func searchUsers(query: String, limit: Int) async throws -> [UserRecord] {
        let findable = findable.withLock { $0 }
        return users.withLock { users in
            Array(
                users.values.filter { $0.username.hasPrefix(query) || ($0.email == query && findable.contains($0.id)) }
                    .prefix(limit)
            )
        }
    }
}
