import ChatProtocol

/// The code of the `ChatError` `body` throws; nil when it does not throw, `internal` for any
/// other error. What a refusal test compares.
public func refusalCode(_ body: () async throws -> Void) async -> ErrorCode? {
    do {
        try await body()
        return nil
    } catch let error as ChatError {
        return error.code
    } catch {
        return .internalError
    }
}
