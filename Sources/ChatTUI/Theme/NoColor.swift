/// NO_COLOR (https://no-color.org): when the variable is set and not empty, no colour at all,
/// only attributes (bold, reverse, underline, dim).
public enum NoColor {
    public static func isRequested(environment: [String: String]) -> Bool {
        guard let value = environment["NO_COLOR"] else { return false }
        return !value.isEmpty
    }

    /// The theme to draw with. Without colour it is always `Theme.monochrome`, whatever was
    /// chosen: a colour theme with its colours dropped marks selected and unread rows the same
    /// way (bold), while monochrome tells them apart by attributes.
    public static func theme(_ chosen: Theme, noColor: Bool) -> Theme {
        noColor ? .monochrome : chosen
    }
}
