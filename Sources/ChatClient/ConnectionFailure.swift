import AsyncHTTPClient
import ChatProtocol
import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Why a server could not be reached, in the words a person can act on: a refused connection
/// means nothing listens there (wrong port, server stopped), a timeout that the address or the
/// network is wrong, an unknown host a typo. "Cannot reach the server" alone says none of that.
enum ConnectionFailure {
    /// "Cannot reach the server at HOST:PORT (why)." for a gate at `baseURL`.
    static func unreachable(_ baseURL: String, _ error: Error?) -> ChatError {
        let why = error.flatMap { reason($0) }.map { " (\($0))" } ?? ""
        return ChatError(.unavailable, "Cannot reach the server at \(address(of: baseURL))\(why).")
    }

    /// `host:port` of a gate URL, the port filled in from the scheme when the URL has none: what
    /// a person checks against what they started the server with.
    static func address(of baseURL: String) -> String {
        guard let url = URLComponents(string: baseURL), let host = url.host, !host.isEmpty else { return baseURL }
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        // An IPv6 address in brackets, or its colons would read as the port's.
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return bare.contains(":") ? "[\(bare)]:\(port)" : "\(bare):\(port)"
    }

    /// A short reason for a failed connection, or nil when the error says nothing useful.
    static func reason(_ error: Error) -> String? {
        if let error = error as? HTTPClientError {
            let timeouts: [HTTPClientError] = [
                .connectTimeout, .getConnectionFromPoolTimeout, .deadlineExceeded, .readTimeout,
            ]
            if timeouts.contains(error) { return "no answer in time" }
            return error == .remoteConnectionClosed ? "the connection was closed" : nil
        }
        if let error = error as? IOError { return reason(errno: error.errnoCode) }
        if let error = error as? NIOConnectionError {
            if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
                return "unknown host"
            }
            // Every address of the host failed. Refused on one (nothing listens there) is the
            // likeliest story; otherwise the first reason stands for them all.
            let reasons = error.connectionErrors.compactMap { reason($0.error) }
            return reasons.contains("connection refused") ? "connection refused" : reasons.first
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return "no answer in time" }
        // Whatever wraps it, a refused connection says so in its description.
        return "\(error)".contains("Connection refused") ? "connection refused" : nil
    }

    static func reason(errno code: CInt) -> String? {
        switch code {
        case ECONNREFUSED: return "connection refused"
        case ETIMEDOUT: return "no answer in time"
        case ENETUNREACH: return "network unreachable"
        case EHOSTUNREACH: return "host unreachable"
        case ECONNRESET: return "connection reset"
        default: return nil
        }
    }
}
