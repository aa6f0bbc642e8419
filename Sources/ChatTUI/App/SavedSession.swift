import ChatClient
import ChatProtocol
import Foundation

/// The session token saved between runs, so the next start skips the password. One file per
/// server, readable by the owner only (mode 0600): it is as good as the password until it expires
/// or is signed out.
public struct SavedSession: Sendable {
    public let path: String

    public init(serverURL: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        let (host, port) = SavedSession.hostPort(serverURL)
        path = "\(AppPaths(environment: environment).data)/\(host)_\(port)/session.json"
    }

    public func load() -> SessionCredentials? {
        guard let data = FileManager.default.contents(atPath: path),
            let credentials = try? JSONDecoder().decode(SessionCredentials.self, from: data),
            credentials.expiresAt > Int64(Date().timeIntervalSince1970)
        else { return nil }
        return credentials
    }

    public func save(_ credentials: SessionCredentials) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let data = try JSONEncoder().encode(credentials)
        // Created 0600 before the secret is written, so it is never readable by others.
        _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try data.write(to: URL(fileURLWithPath: path))
    }

    public func delete() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The cache file of an account on this server.
    public func cachePath(username: String) -> String {
        ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            "\(SafeFileName.from(username.lowercased())).sqlite"
        )
    }

    static func hostPort(_ url: String) -> (String, Int) {
        let components = URLComponents(string: url)
        let host = components?.host ?? "localhost"
        let port = components?.port ?? (components?.scheme == "https" ? 443 : 80)
        return (SafeFileName.from(host), port)
    }
}
