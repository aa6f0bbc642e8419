import Foundation

/// A bare TCP socket from a chosen loopback source address (127.0.0.2, …), so a test can be
/// "another client address" on one machine, and can hold a connection idle or feed it slowly.
final class RawTCPSocket: Sendable {
    let descriptor: Int32

    /// Connects from `source` to 127.0.0.1:`port`; throws if the connection is refused.
    init(to port: Int, from source: String = "127.0.0.1") throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, connected == 0 else {
            close(descriptor)
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ECONNREFUSED)
        }
    }

    deinit { close(descriptor) }

    /// Sends `text`; to a socket the server closed, quietly nothing (MSG_NOSIGNAL: no SIGPIPE).
    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The first bytes the server sends within `seconds`, as text; nil if none came.
    func firstReply(within seconds: Double) async -> String? {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            switch peek() {
            case .data(let text): return text
            case .closed: return nil
            case .nothing: try? await Task.sleep(for: .milliseconds(20))
            }
        } while Date() < deadline
        return nil
    }

    /// Whether the server closed the connection (end of stream or reset) within `seconds`,
    /// reading and discarding anything it sent first.
    func isClosedByPeer(within seconds: Double) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            switch peek() {
            case .closed: return true
            case .data: continue
            case .nothing: try? await Task.sleep(for: .milliseconds(20))
            }
        } while Date() < deadline
        return false
    }

    private enum Peeked {
        case data(String)
        case closed
        case nothing
    }

    /// Reads what is there without waiting: the waits above sleep between looks instead of
    /// blocking, so they never hold one of the few threads the async runtime has (the servers
    /// under test run on them too).
    private func peek() -> Peeked {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if count > 0 { return .data(String(decoding: buffer[..<count], as: UTF8.self)) }
        if count == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .nothing : .closed
    }
}
