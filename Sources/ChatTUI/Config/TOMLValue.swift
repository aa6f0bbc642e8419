/// One value from a TOML file. Only the kinds our config and theme files use: anything else
/// (floats, dates, inline tables) is rejected by the parser rather than half-understood.
public enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case boolean(Bool)
    case array([TOMLValue])
}
