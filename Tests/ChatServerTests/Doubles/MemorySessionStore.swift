import ChatServices
import Synchronization

/// `SessionStore` in a dictionary of token hashes.
final class MemorySessionStore: SessionStore {
    private let sessions = Mutex<[[UInt8]: (user: UserID, expiresAtMs: Int64)]>([:])

    func insertSession(tokenHash: [UInt8], userID: UserID, createdAtMs: Int64, expiresAtMs: Int64) async throws {
        sessions.withLock { $0[tokenHash] = (userID, expiresAtMs) }
    }

    func liveSession(tokenHash: [UInt8], nowMs: Int64) async throws -> (userID: UserID, expiresAtMs: Int64)? {
        sessions.withLock { sessions in
            sessions[tokenHash].flatMap {
                $0.expiresAtMs > nowMs ? (userID: $0.user, expiresAtMs: $0.expiresAtMs) : nil
            }
        }
    }

    func deleteSession(tokenHash: [UInt8]) async throws -> Bool {
        sessions.withLock { $0.removeValue(forKey: tokenHash) != nil }
    }

    func deleteSessions(userID: UserID) async throws {
        sessions.withLock { sessions in sessions = sessions.filter { $0.value.user != userID } }
    }
}
