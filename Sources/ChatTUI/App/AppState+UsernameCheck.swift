import ChatProtocol

extension AppState {
    /// Asks the gate whether the register form's username is free, so a taken one is said when
    /// the person leaves the field or asks for the code, not only at the final submit (after the
    /// code was spent). Once per name, and only for a name the rules allow.
    mutating func checkUsername() -> [Effect] {
        let name = register.username.text
        guard !name.isEmpty, register.usernameProblem == nil, !register.usernamesAsked.contains(name) else { return [] }
        register.usernamesAsked.insert(name)
        return [.checkUsername(name)]
    }

    /// The gate's answer: a taken name shows under the field. An unanswered question (the gate
    /// out of reach) is forgotten, to be asked again; the final submit checks anyway.
    mutating func usernameChecked(_ name: String, _ result: Result<Bool, ChatError>) {
        switch result {
        case .success(true):
            register.usernamesTaken.remove(name)
        case .success(false):
            register.usernamesTaken.insert(name)
        case .failure:
            register.usernamesAsked.remove(name)
        }
    }
}
