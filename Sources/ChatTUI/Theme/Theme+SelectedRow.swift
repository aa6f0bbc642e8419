extension Theme {
    /// How `role` looks inside a selected row: the selection's colours (and its reverse, which
    /// is how monochrome marks a selection), with the role's own bold, dim, italic and
    /// underline. A role's own colour is chosen to read on the list's background and can vanish
    /// on the selection's (yellow on yellow in high contrast, green on green in WeChat); the
    /// selection's pair is one every theme is required to keep readable (`ThemeContrastPair`).
    public func onSelectedRow(_ role: ThemeRole) -> TextStyle {
        let selection = self[.selection]
        var style = self[role]
        style.foreground = selection.foreground
        style.background = selection.background
        style.reverse = selection.reverse
        return style
    }
}
