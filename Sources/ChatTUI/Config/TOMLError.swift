/// Why a TOML file (or a theme or config built on one) was rejected, with the 1-based line to
/// look at, so the app can say "themes/x.toml line 7: …" instead of just "broken".
public struct TOMLError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number in the file.
    public let line: Int
    /// What is wrong, for a person: "expected '=' after key 'fg'". Does not repeat the line.
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    /// "line 7: expected '=' after key 'fg'".
    public var description: String { "line \(line): \(message)" }
}
