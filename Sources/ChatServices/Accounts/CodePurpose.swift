/// What a verification code is for: one code cannot be used for the other.
public enum CodePurpose: String, Sendable, Hashable {
    case register
    case reset
}
