extension Command {
    /// The command as help shows it and `[keys]` in config.toml names it: the case name in
    /// kebab case ("next-unread", "find-people", "conversation-3"). Made from the case name, so
    /// a new command has one without a second table to keep in step; `KeyBindingsConfigTests`
    /// pins a few, so renaming a case cannot quietly break people's config files.
    public var name: String {
        var result = ""
        var previous: Character?
        for character in rawValue {
            if character.isUppercase || (character.isNumber && previous?.isLetter == true) { result += "-" }
            result += character.lowercased()
            previous = character
        }
        return result
    }

    /// The command called `name` in help and config, if there is one.
    public init?(name: String) {
        guard let command = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = command
    }
}
