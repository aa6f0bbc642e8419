extension KeyBindings {
    /// This table with a `[keys]` table of config.toml applied: `action = "key"` or
    /// `action = ["key", "key"]`, actions and keys named as help names them. The keys given
    /// replace all of that action's defaults (`[]` leaves it without a key), in the place the
    /// action has in help.
    ///
    /// Unlike the rest of the config, a mistake here is not skipped: a table half applied would
    /// leave keys doing what nobody chose, so every problem comes back, one line each
    /// ("line 7: …"), for the app to say before it starts. Problems: an unknown action, a key
    /// name that is none, a key that types text or edits the input line where text is typed,
    /// and a key two actions claim where both would apply (a default that was not rebound
    /// included).
    func applying(_ document: TOMLDocument, table: String) -> (KeyBindings, problems: [String]) {
        var result = bindings
        var problems: [String] = []
        // Where each rebound action was set, to name the line in what is said about it.
        var lines: [Command: Int] = [:]
        for action in document.keys(in: table) {
            let line = document.line(of: action, in: table) ?? 0
            guard let command = Command(name: action) else {
                problems.append("line \(line): '\(action)' is not an action (F1 help lists them, like next-unread)")
                continue
            }
            guard let names = Self.names(in: document.value(table, action)) else {
                problems.append(
                    "line \(line): '\(action)' takes a key name or a list of them, like \"F5\" or [\"Alt-A\", \"F5\"]"
                )
                continue
            }
            var keys: [Key] = []
            var prefixes: [Key?] = []
            var unknown: [String] = []
            for name in names {
                guard let sequence = Self.sequence(named: name) else {
                    unknown.append(name)
                    continue
                }
                if !keys.contains(sequence.key) { keys.append(sequence.key) }
                if !prefixes.contains(sequence.prefix) { prefixes.append(sequence.prefix) }
            }
            if !unknown.isEmpty {
                let list = unknown.map { "'\($0)'" }.joined(separator: ", ")
                problems.append(
                    "line \(line): \(list) for \(action) is not a key name "
                        + "(write them as help does: Ctrl-N, Alt-A, F5, PgUp, Shift-Tab, ↑, Ctrl-X Ctrl-E)"
                )
                continue
            }
            guard prefixes.count <= 1 else {
                problems.append(
                    "line \(line): the keys for \(action) must be all single keys or all begin with the same key"
                )
                continue
            }
            let index = result.firstIndex { $0.command == command } ?? result.endIndex
            var binding =
                index < result.endIndex
                ? result[index] : Binding(command: command, context: .main, keys: [], summary: action)
            // Only the input line waits for a sequence's second key.
            // `prefixes` holds optionals: its first element is nil for single keys.
            if let prefix = prefixes.first, prefix != nil, binding.context != .input {
                problems.append("line \(line): \(action) takes single keys (only the input line's actions take two)")
                continue
            }
            binding.keys = keys
            binding.prefix = prefixes.first ?? nil
            result.removeAll { $0.command == command }
            // Every removed binding was at `index` or after it, so `index` is still in range.
            result.insert(binding, at: min(index, result.count))
            lines[command] = line
        }
        let configured = KeyBindings(result)
        problems += configured.typingProblems(lines)
        problems += configured.clashProblems(lines)
        return (configured, problems)
    }

    /// A key, or two keys as help writes a sequence ("Ctrl-X Ctrl-E"): the first, then the key.
    private static func sequence(named name: String) -> (prefix: Key?, key: Key)? {
        if let key = Key(name: name) { return (nil, key) }
        let parts = name.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let prefix = Key(name: String(parts[0])), let key = Key(name: String(parts[1])) else {
            return nil
        }
        return (prefix, key)
    }

    /// A TOML value as key names: a string, or a list of only strings.
    private static func names(in value: TOMLValue?) -> [String]? {
        switch value {
        case .string(let name)?:
            return [name]
        case .array(let values)?:
            let names = values.compactMap { item -> String? in
                if case .string(let name) = item { return name }
                return nil
            }
            return names.count == values.count ? names : nil
        default:
            return nil
        }
    }

    /// Rebound keys that would take text from the person typing: keys of `.app`, `.main` and
    /// `.input` are seen before the input line is, so a printable key there could never be typed
    /// and an editing key would stop meaning what it means in readline. The friend list and a
    /// selected message type nothing; `select-message` takes its key only on an empty line,
    /// where no editing key has anything to edit.
    private func typingProblems(_ lines: [Command: Int]) -> [String] {
        var editing: [Key: String] = [:]
        for binding in LineEditor.bindings {
            for key in binding.keys where editing[key] == nil { editing[key] = binding.summary }
        }
        var problems: [String] = []
        for binding in bindings where binding.context != .friendList && binding.context != .messages {
            guard let line = lines[binding.command] else { continue }
            // In a sequence the second key is the sequence's, not the input line's.
            for key in binding.prefix.map({ [$0] }) ?? binding.keys {
                if case .character = key {
                    problems.append(
                        "line \(line): \(binding.command.name) cannot be '\(key.name)': "
                            + "it types text in the input line (use a Ctrl-, Alt- or F key)"
                    )
                } else if let edit = editing[key], binding.command != .selectMessage {
                    problems.append(
                        "line \(line): \(binding.command.name) cannot be '\(key.name)': "
                            + "it edits the input line (\(edit))"
                    )
                }
            }
        }
        return problems
    }

    /// Keys claimed twice where both claims would apply, when a rebinding is one of them.
    private func clashProblems(_ lines: [Command: Int]) -> [String] {
        clashes.compactMap { clash -> String? in
            let (key, a, b) = clash
            guard lines[a.command] != nil || lines[b.command] != nil else { return nil }
            func source(_ command: Command) -> String {
                lines[command].map { "line \($0)" } ?? "by default; rebind it too to free the key"
            }
            let line = max(lines[a.command] ?? 0, lines[b.command] ?? 0)
            return "line \(line): '\(key.name)' is bound to both \(a.command.name) (\(source(a.command))) and "
                + "\(b.command.name) (\(source(b.command)))"
        }
    }
}
