import PostgresNIO

extension PostgresRowSequence {
    /// Whether the statement returned a row: what "does it exist" and "did the DELETE … RETURNING
    /// remove anything" come down to.
    func hasAnyRow() async throws -> Bool {
        for try await _ in self { return true }
        return false
    }
}
