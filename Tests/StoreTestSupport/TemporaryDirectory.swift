import Foundation
import Logging

/// A fresh directory of its own for one test (Swift Testing runs tests in parallel), removed when
/// the test is done.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(_ name: String = #function) throws {
        let label = name.filter { $0.isLetter || $0.isNumber }.prefix(40)
        path =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("chat-services-tests-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// The path of `name` inside this directory.
    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// Runs `body` with a new temporary directory and removes the directory afterwards.
public func withTemporaryDirectory<R>(
    _ name: String = #function,
    _ body: (TemporaryDirectory) async throws -> R
) async throws -> R {
    let directory = try TemporaryDirectory(name)
    defer { directory.remove() }
    return try await body(directory)
}

extension Logger {
    /// A logger that stays quiet unless something is critical.
    public static var quiet: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }
}
