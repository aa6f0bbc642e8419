/// Whether a username can be signed up with now, and if not why, in words for a person: taken,
/// reading like a taken one, or against the rules. Usernames are public (people find each other
/// by them), so saying so reveals nothing an email would.
public struct UsernameAvailability: Sendable, Equatable {
    public var available: Bool
    /// Set when not available.
    public var reason: String?

    public init(available: Bool, reason: String? = nil) {
        self.available = available
        self.reason = reason
    }

    public static let free = UsernameAvailability(available: true)

    public static func unavailable(_ reason: String) -> UsernameAvailability {
        UsernameAvailability(available: false, reason: reason)
    }
}
