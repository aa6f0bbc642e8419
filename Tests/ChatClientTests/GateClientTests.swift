import ChatProtocol
import Foundation
import Testing

@testable import ChatClient

#if canImport(Glibc)
import Glibc
#endif

/// A gate that cannot be reached is said at once, with where and why: the sign-in form once
/// showed "Working…" for the request's whole 15 s deadline.
@Suite struct GateClientTests {
    /// A loopback port that refuses connections: a socket bound to it and never listening. Held
    /// bound until `close()`, so no other process can start listening there meanwhile.
    struct ClosedPort {
        let descriptor: Int32
        let port: Int

        init() throws {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            let named = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            guard fd >= 0, bound == 0, named == 0 else {
                if fd >= 0 { _ = Glibc.close(fd) }
                throw ChatError(.internalError, "no loopback socket to bind")
            }
            descriptor = fd
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        func close() {
            _ = Glibc.close(descriptor)
        }
    }

    @Test func aRefusedConnectionIsSaidAtOnceWithTheAddress() async throws {
        let closed = try ClosedPort()
        defer { closed.close() }
        // The HTTP client the terminal app's forms use.
        let gate = GateClient(baseURL: "http://127.0.0.1:\(closed.port)", http: GateClient.failFastHTTP)
        let started = ContinuousClock.now
        let error = await #expect(throws: ChatError.self) {
            try await gate.login(account: "alice", password: "some password")
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message == "Cannot reach the server at 127.0.0.1:\(closed.port) (connection refused).")
        // "connection refused", not "no answer in time": it was known from the refusal, not from
        // a deadline. (No bound on the time here: inside the full parallel suite this process
        // was once starved for 16 s; alone it answers in milliseconds.)
        _ = started
    }

    @Test func theAddressIsHostAndPortWithThePortFromTheScheme() {
        #expect(ConnectionFailure.address(of: "http://127.0.0.1:8888") == "127.0.0.1:8888")
        #expect(ConnectionFailure.address(of: "https://chat.example.org") == "chat.example.org:443")
        #expect(ConnectionFailure.address(of: "http://chat.example.org/") == "chat.example.org:80")
        #expect(ConnectionFailure.address(of: "http://[::1]:8888") == "[::1]:8888")
    }
}
