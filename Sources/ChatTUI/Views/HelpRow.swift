import Foundation

/// One row of the help overlay as drawn. Help is one column that scrolls, and a binding that
/// does not fit on one row goes on over the rows below it (keys under its keys, the summary
/// wrapped under the summary, the config name on a row of its own), so nothing is cut at
/// 80×24 or narrower.
enum HelpRow: Equatable {
    case title(String)
    /// Keys, what they do, and the name `[keys]` in config.toml knows the action by. Any of them
    /// is empty on a row that continues the binding above it.
    case binding(keys: String, action: String, name: String)
    case blank

    /// The panel's width where the screen has room: then every name fits beside its summary.
    static let panelWidth = 100

    /// Columns inside the help panel at this screen width.
    static func innerWidth(_ state: AppState) -> Int {
        min(panelWidth, state.width - 4) - 2
    }

    /// The key column, with the gap after it. Capped, so a long list of keys (the friend list's
    /// "back to the input") takes two rows rather than narrowing every summary.
    static func keyWidth(_ state: AppState) -> Int {
        let widest = state.keyBindings.sections.flatMap(\.bindings).map { DisplayWidth.of($0.keys) }.max() ?? 0
        return min(19, widest + 2)
    }

    /// Help's rows at this size, from the effective bindings.
    static func layout(_ state: AppState) -> [HelpRow] {
        let width = Self.innerWidth(state)
        let keyWidth = Self.keyWidth(state)
        var rows: [HelpRow] = []
        for (index, section) in state.keyBindings.sections.enumerated() {
            if index > 0 { rows.append(.blank) }
            rows.append(.title(section.title))
            for line in section.bindings {
                rows += layout(line, width: width, keyWidth: keyWidth)
            }
        }
        return rows
    }

    /// Keys start two columns in, the summary after the key column, the name ends one column
    /// before the panel's edge, with two columns at least between summary and name.
    private static func layout(_ line: KeyBindings.HelpLine, width: Int, keyWidth: Int) -> [HelpRow] {
        let keys = pack(line.keys.components(separatedBy: "  "), width: keyWidth - 1)
        let actions = TextWrapper.wrap(line.action, width: max(8, width - 3 - keyWidth))
        var rows: [(keys: String, action: String, name: String)] = (0..<max(keys.count, actions.count)).map {
            (
                keys: keys.indices.contains($0) ? keys[$0] : "",
                action: actions.indices.contains($0) ? actions[$0] : "",
                name: ""
            )
        }
        if !line.name.isEmpty {
            if 2 + keyWidth + DisplayWidth.of(rows[0].action) + 2 + DisplayWidth.of(line.name) + 1 <= width {
                rows[0].name = line.name
            } else {
                rows.append((keys: "", action: "", name: line.name))
            }
        }
        return rows.map { .binding(keys: $0.keys, action: $0.action, name: $0.name) }
    }

    /// Key names in rows of at most `width` columns, two spaces between them as in one row.
    private static func pack(_ names: [String], width: Int) -> [String] {
        var rows: [String] = []
        var current = ""
        for name in names {
            let candidate = current.isEmpty ? name : current + "  " + name
            if current.isEmpty || DisplayWidth.of(candidate) <= width {
                current = candidate
            } else {
                rows.append(current)
                current = name
            }
        }
        rows.append(current)
        return rows
    }
}
