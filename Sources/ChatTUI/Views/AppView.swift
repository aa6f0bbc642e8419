/// Renders the whole screen for a state: pure, so tests render any state at any size.
public enum AppView {
    public static let minimumWidth = 60
    public static let minimumHeight = 16

    public static func render(_ state: AppState) -> Canvas {
        var canvas = Canvas(width: state.width, height: state.height, style: state.theme[.base])
        guard state.width >= minimumWidth, state.height >= minimumHeight else {
            TooSmallView.render(state, into: &canvas)
            return canvas
        }
        switch state.screen {
        case .signIn: SignInView.render(state, into: &canvas)
        case .register: RegisterView.render(state, into: &canvas)
        case .resetPassword: ResetPasswordView.render(state, into: &canvas)
        case .main:
            MainView.render(state, into: &canvas)
            if let overlay = state.overlay {
                OverlayView.render(overlay, state: state, into: &canvas)
            }
        }
        return canvas
    }

    /// The terminal title: the app, the unread total, the user.
    public static func title(_ state: AppState) -> String {
        let unread = state.chat?.totalUnread ?? 0
        let who = state.me.map { " — \($0.username)" } ?? ""
        return unread > 0 ? "WeChat (\(unread))\(who)" : "WeChat\(who)"
    }
}

enum TooSmallView {
    static func render(_ state: AppState, into canvas: inout Canvas) {
        let lines = [
            "The window is too small.",
            "WeChat needs at least \(AppView.minimumWidth)×\(AppView.minimumHeight);",
            "this one is \(state.width)×\(state.height).",
            "Make it bigger, or Ctrl-Q to quit.",
        ]
        let top = max(0, (state.height - lines.count) / 2)
        for (index, line) in lines.enumerated() {
            let fitted = DisplayWidth.truncate(line, to: state.width)
            let x = max(0, (state.width - DisplayWidth.of(fitted)) / 2)
            canvas.put(fitted, x: x, y: top + index, style: index == 0 ? state.theme[.error] : state.theme[.base])
        }
    }
}
