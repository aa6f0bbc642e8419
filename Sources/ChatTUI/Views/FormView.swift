import ChatProtocol

/// The shared look of the sign-in, register and reset screens: a centred dialog of labelled
/// fields, with a problem line under each and the keys at the bottom.
enum FormView {
    struct Field {
        var label: String
        var editor: LineEditor
        var problem: String?
        var placeholder: String?
    }

    static func render(
        title: String,
        subtitle: String,
        fields: [Field],
        focus: Int,
        error: String?,
        info: String?,
        busy: Bool,
        hints: String,
        footer: [String],
        state: AppState,
        into canvas: inout Canvas
    ) {
        let theme = state.theme
        let width = min(canvas.width - 4, 72)
        let height = min(canvas.height - 2, 7 + fields.count * 2 + 3)
        let box = canvas.bounds.centered(width: width, height: height)
        Box.draw(
            &canvas,
            box,
            title: title,
            style: theme[.borderFocused],
            titleStyle: theme[.title],
            fill: theme[.dialog]
        )
        var y = box.y + 2
        canvas.put(DisplayWidth.truncate(subtitle, to: box.width - 4), x: box.x + 2, y: box.y + 1, style: theme[.hint])
        let labelWidth = (fields.map { DisplayWidth.of($0.label) }.max() ?? 8) + 2
        for (index, field) in fields.enumerated() {
            y += 1
            let focused = index == focus
            canvas.put(focused ? "›" : " ", x: box.x + 2, y: y, style: theme[.highlight])
            canvas.put(field.label, x: box.x + 4, y: y, style: focused ? theme[.title] : theme[.dialog])
            let inputRect = Rect(
                x: box.x + 4 + labelWidth,
                y: y,
                width: box.maxX - 3 - (box.x + 4 + labelWidth),
                height: 1
            )
            canvas.fill(inputRect, style: theme[.input])
            // Only the focused field keeps the caret.
            let caret = canvas.cursor
            field.editor.render(
                into: &canvas,
                rect: inputRect,
                style: theme[.input],
                placeholder: focused ? field.placeholder : nil,
                placeholderStyle: theme[.placeholder]
            )
            if !focused { canvas.cursor = caret }
            y += 1
            if let problem = field.problem {
                canvas.put(
                    DisplayWidth.truncate(problem, to: inputRect.width),
                    x: inputRect.x,
                    y: y,
                    style: theme[.error]
                )
            }
        }
        y += 1
        if busy {
            canvas.put("Working…", x: box.x + 4, y: y, style: theme[.hint])
        } else if let error {
            // Wrapped over the free rows down to the hints: a long error (a server's, say) was
            // once cut off at the box's width with rows to spare below it.
            let rows = FormMessageLines.wrap("✗ ", error, width: box.width - 6, rows: box.maxY - 2 - y)
            for (offset, row) in rows.enumerated() {
                canvas.put(row, x: box.x + 4, y: y + offset, style: theme[.error])
            }
        } else if let info {
            let rows = FormMessageLines.wrap("✓ ", info, width: box.width - 6, rows: box.maxY - 2 - y)
            for (offset, row) in rows.enumerated() {
                canvas.put(row, x: box.x + 4, y: y + offset, style: theme[.success])
            }
        }
        let hintLine = DisplayWidth.truncate(hints, to: box.width - 4)
        canvas.put(hintLine, x: box.x + 2, y: box.maxY - 2, style: theme[.hint])
        var footerY = box.maxY + 1
        for line in footer where footerY < canvas.height {
            let text = DisplayWidth.truncate(line, to: canvas.width - 2)
            canvas.put(text, x: max(0, (canvas.width - DisplayWidth.of(text)) / 2), y: footerY, style: theme[.hint])
            footerY += 1
        }
    }

    /// What the in-process server mailed, for whoever is registering against it.
    static func devMailFooter(_ state: AppState) -> [String] {
        state.devMail.suffix(2).map { "📬 dev mailbox: code \($0.code) for \($0.email)" }
    }
}

enum SignInView {
    static func render(_ state: AppState, into canvas: inout Canvas) {
        let form = state.signIn
        var footer = FormView.devMailFooter(state)
        if !state.demoLogins.isEmpty {
            footer.insert("Demo accounts: " + state.demoLogins.joined(separator: ", "), at: 0)
        }
        FormView.render(
            title: "WeChat — sign in",
            subtitle: state.serverDescription,
            fields: [
                .init(label: "Username or email", editor: form.account, placeholder: "alice or alice@example.com"),
                .init(label: "Password", editor: form.password),
            ],
            focus: form.focus,
            error: form.error,
            info: form.info,
            busy: form.busy,
            hints: "Enter sign in · Tab next · F2 create account · F3 forgot password · Ctrl-Q quit",
            footer: footer,
            state: state,
            into: &canvas
        )
    }
}

enum RegisterView {
    static func render(_ state: AppState, into canvas: inout Canvas) {
        let form = state.register
        FormView.render(
            title: "WeChat — create an account",
            subtitle: state.serverDescription,
            fields: [
                .init(
                    label: "Username",
                    editor: form.username,
                    problem: form.usernameProblem,
                    placeholder: "letters, digits, _ . -"
                ),
                .init(
                    label: "Email",
                    editor: form.email,
                    problem: form.emailProblem,
                    placeholder: "Enter here sends the code"
                ),
                .init(
                    label: "Code",
                    editor: form.code,
                    problem: form.codeProblem,
                    placeholder: "6 digits from the mail"
                ),
                .init(
                    label: "Password",
                    editor: form.password,
                    problem: form.passwordProblem,
                    placeholder: "8 characters or more"
                ),
                .init(label: "Again", editor: form.confirm, problem: form.confirmProblem),
            ],
            focus: form.focus,
            error: form.error,
            info: form.info,
            busy: form.busy,
            hints: "Enter next/submit · F5 send code · Tab next · Esc back to sign in",
            footer: FormView.devMailFooter(state),
            state: state,
            into: &canvas
        )
    }
}

enum ResetPasswordView {
    static func render(_ state: AppState, into canvas: inout Canvas) {
        let form = state.reset
        FormView.render(
            title: "WeChat — reset your password",
            subtitle: "We mail a code to the address of your account.",
            fields: [
                .init(label: "Email", editor: form.email, placeholder: "Enter here sends the code"),
                .init(label: "Code", editor: form.code, placeholder: "6 digits from the mail"),
                .init(
                    label: "New password",
                    editor: form.password,
                    problem: RegisterForm.problem(form.password.text) { try AccountRules.validatePassword($0) }
                ),
                .init(
                    label: "Again",
                    editor: form.confirm,
                    problem: form.confirm.text.isEmpty || form.confirm.text == form.password.text
                        ? nil : "The passwords do not match."
                ),
            ],
            focus: form.focus,
            error: form.error,
            info: form.info,
            busy: form.busy,
            hints: "Enter next/submit · F5 send code · Tab next · Esc back to sign in",
            footer: FormView.devMailFooter(state),
            state: state,
            into: &canvas
        )
    }
}
