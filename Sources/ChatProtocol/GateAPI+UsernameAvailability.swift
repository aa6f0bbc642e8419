extension GateAPI {
    /// `GET /api/v1/usernames/{name}` → 200 `UsernameAvailability`: whether a sign-up with that
    /// username could succeed now. A name that is taken, reads like a taken one, or breaks the
    /// rules is not available, and `reason` says which, for a person to read.
    public struct UsernameAvailability: Codable, Sendable, Equatable {
        public var available: Bool
        public var reason: String?

        public init(available: Bool, reason: String? = nil) {
            self.available = available
            self.reason = reason
        }
    }
}
