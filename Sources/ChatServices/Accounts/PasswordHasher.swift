import HummingbirdBcrypt
import NIOPosix

/// bcrypt, run on NIO's blocking thread pool: a hash takes tens of milliseconds of CPU and must
/// never stall an event loop or the cooperative pool.
public struct PasswordHasher: Sendable {
    /// 2^cost rounds; 10 is the floor for new hashes.
    public let cost: UInt8
    /// A real hash of nothing in particular, at the same cost, verified against when an account
    /// does not exist: a wrong username then costs the same time as a wrong password.
    let decoyHash: String

    public init(cost: UInt8 = 10) {
        precondition(cost >= 4 && cost <= 31)
        self.cost = cost
        self.decoyHash = Bcrypt.hash("decoy password that matches nothing", cost: cost)
    }

    public func hash(_ password: String) async throws -> String {
        let cost = cost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}
