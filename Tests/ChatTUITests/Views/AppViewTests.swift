import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// Every screen rendered into the in-memory grid and read back as text, at the sizes people use.
@Suite struct AppViewTests {
    init() { DisplayWidth.useUTF8Locale() }

    @Test(arguments: [(80, 24), (120, 40)])
    func mainScreen(width: Int, height: Int) {
        let state = ScreenFixtures.mainState(width: width, height: height)
        let canvas = AppView.render(state)
        let screen = canvas.description
        // Friend list: presence, names (remark instead of username), unread badge, requests.
        #expect(screen.contains("● bob"))
        #expect(screen.contains("○ Carol 🎨"))
        #expect(screen.contains("Requests (1)"))
        #expect(canvas.lines.contains { $0.contains(" 2 ") }, "bob's unread badge")
        // Chat pane: title with presence, day separator, sender, CJK and emoji, new-messages line, my delivery mark.
        #expect(screen.contains("bob  ● online"))
        #expect(screen.contains("你好，爱丽丝！今天怎么样？🙂"))
        #expect(screen.contains("new messages"))
        #expect(screen.contains("✓"))
        #expect(screen.contains("──"))
        // Status bar: me, server, connection, unread.
        #expect(canvas.lines.last?.contains("alice@127.0.0.1:8888") == true)
        #expect(canvas.lines.last?.contains("● connected") == true)
        #expect(canvas.lines.last?.contains("2 unread") == true)
        // Nothing spills past the right edge: every row is exactly the screen's width in cells.
        for y in 0..<canvas.height {
            let width = (0..<canvas.width).reduce(0) { $0 + Int(canvas[$1, y].width) }
            #expect(width == canvas.width, "row \(y) has \(width) columns")
        }
        #expect(AppView.title(state) == "WeChat (2) — alice")
    }

    @Test func wideCharactersWrapWholeAndNeverStraddleTheEdge() {
        let state = ScreenFixtures.mainState(width: 80, height: 24)
        let canvas = AppView.render(state)
        let layout = MainView.layout(state)
        // The long mixed line is wrapped over several rows, and the family emoji stays one grapheme.
        let rows = canvas.lines.filter { $0.contains("│") && $0.count > layout.friends.width }
        #expect(rows.contains { $0.contains("👨‍👩‍👧") })
        #expect(
            canvas.lines.filter { $0.contains("wrap") || $0.contains("chat pane") || $0.contains("keep going") }.count
                >= 2
        )
        // Every wide character's second half is a continuation cell right after it.
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where canvas[x, y].width == 2 {
                #expect(x + 1 < canvas.width && canvas[x + 1, y].isContinuation)
            }
        }
    }

    @Test func tooSmallScreenSaysSo() {
        var state = ScreenFixtures.mainState(width: 40, height: 12)
        var canvas = AppView.render(state)
        #expect(canvas.contains("too small"))
        #expect(canvas.contains("40×12"))
        state.screen = .signIn
        canvas = AppView.render(state)
        #expect(canvas.contains("too small"))
    }

    @Test(arguments: [(80, 24), (120, 40)])
    func signInScreen(width: Int, height: Int) {
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        state.width = width
        state.height = height
        for character in "alice" { _ = state.apply(.key(.character(character))) }
        _ = state.apply(.key(.tab))
        for character in "secret-pw" { _ = state.apply(.key(.character(character))) }
        let canvas = AppView.render(state)
        #expect(canvas.contains("WeChat — sign in"))
        #expect(canvas.contains("alice"))
        #expect(!canvas.contains("secret-pw"), "the password must never be shown")
        #expect(canvas.contains("•••••••••"))
        #expect(canvas.contains("F2 create account"))
        #expect(canvas.cursor != nil)
        #expect(canvas.contains("Server http://127.0.0.1:8888"))
        #expect(!canvas.contains("other gate"))

        // A cluster's gates: the form says there are more than the one named, and once signed
        // in the status bar names the gate that answered.
        state.otherGates = 2
        #expect(AppView.render(state).contains("Server http://127.0.0.1:8888 or 2 other gates"))
        let credentials = SessionCredentials(
            userID: 1,
            username: "alice",
            token: "t",
            expiresAt: 0,
            gateURL: "http://127.0.0.3:8888",
            chatServer: .init(host: "127.0.0.3", port: 8090)
        )
        _ = state.apply(.signedIn(.success(credentials)))
        #expect(AppView.render(state).contains("@127.0.0.3:8888"))
    }

    @Test func registerScreenValidatesLive() {
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        state.width = 80
        state.height = 24
        _ = state.apply(.key(.function(2)))
        for character in "9lives" { _ = state.apply(.key(.character(character))) }
        _ = state.apply(.key(.tab))
        for character in "not-an-email" { _ = state.apply(.key(.character(character))) }
        let canvas = AppView.render(state)
        #expect(canvas.contains("create an account"))
        #expect(canvas.contains("starts with a letter"))
        #expect(canvas.contains("does not look like an email"))
        // Enter on the email field asks for a code, but not with a bad address.
        #expect(state.apply(.key(.enter)).isEmpty)
        #expect(state.register.error != nil)
    }

    /// At 80×24 help scrolls, and scrolled through to the end it shows every binding whole: its
    /// keys, its full description on one row, and the name config's `[keys]` knows it by.
    @Test(arguments: [(80, 24), (120, 40)])
    func helpShowsEveryBindingWhole(width: Int, height: Int) {
        var state = ScreenFixtures.mainState(width: width, height: height)
        _ = state.apply(.key(.function(1)))
        let frames = HelpRowTests.scrolledThrough(&state)
        #expect(state.overlay == .help, "scrolling must not close help")
        for section in state.keyBindings.sections {
            #expect(frames.contains { $0.contains { $0.contains(section.title) } }, "help lacks \(section.title)")
            for line in section.bindings {
                #expect(
                    HelpRowTests.showsWhole(line, in: frames),
                    "help lacks \(line.keys): \(line.action) (\(line.name))"
                )
            }
        }
        // Any other key closes it.
        _ = state.apply(.key(.character("x")))
        #expect(state.overlay == nil)
    }

    @Test func searchResultsHighlightMatches() {
        var state = ScreenFixtures.mainState(width: 100, height: 30)
        _ = state.apply(.key(.control("s")))
        for character in "终端" { _ = state.apply(.key(.character(character))) }
        _ = state.apply(.searchResults(query: "终端", conversation: nil, [ScreenFixtures.bobMessages[1]], total: 1))
        let canvas = AppView.render(state)
        #expect(canvas.contains("Search messages"))
        #expect(canvas.contains("这个终端应用"))
        #expect(canvas.contains("1 found"))
        // The match is drawn reversed.
        var found = false
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where canvas[x, y].text == "终" && canvas[x, y].style.reverse { found = true }
        }
        #expect(found)
        // Enter jumps to it in its conversation, highlighted (paging to it: `AppStateSearchTests`).
        let effects = state.apply(.key(.enter))
        #expect(state.overlay == nil)
        #expect(state.conversations[.direct(ScreenFixtures.bob.id)]?.highlightedMessageID == 2)
        #expect(effects.contains(.loadHistory(conversation: .direct(ScreenFixtures.bob.id), beforeSeq: 0)))
        #expect(AppView.render(state).contains("这个终端应用"))
    }

    /// 300 matches: the newest 100 are listed and the footer says 300 (it once said "100 found").
    @Test func searchSaysHowManyMatchWhenMoreThanAreShown() {
        var state = ScreenFixtures.mainState(width: 100, height: 30)
        _ = state.apply(.key(.control("s")))
        for character in "hi" { _ = state.apply(.key(.character(character))) }
        let one = ScreenFixtures.bobMessages[1]
        let shown = (0..<MessageSearch.shownLimit).map { index in
            var message = one
            message.id = Int64(1_000 + index)
            return message
        }
        _ = state.apply(.searchResults(query: "hi", conversation: nil, shown, total: 300))
        guard case .search(let search) = state.overlay else {
            Issue.record("the search overlay closed")
            return
        }
        #expect(search.results.count == MessageSearch.shownLimit && search.more && search.total == 300)
        let canvas = AppView.render(state)
        #expect(canvas.contains("300 found, newest 100 shown"))
        #expect(!canvas.contains("100 found ·"))
        // Exactly the limit is a count, not "more".
        _ = state.apply(.searchResults(query: "hi", conversation: nil, shown, total: MessageSearch.shownLimit))
        #expect(AppView.render(state).contains("100 found ·"))
    }

    @Test func offlineBannerAndPendingMessages() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        state.chat?.connection = .reconnecting(
            at: state.now.addingTimeInterval(3),
            lastError: "Cannot reach the server"
        )
        state.chat?.outbox = [
            OutboxMessage(
                clientMessageID: "x",
                peerID: ScreenFixtures.bob.id,
                text: "waiting to go ✈️",
                createdAtMs: ScreenFixtures.base
            )
        ]
        let canvas = AppView.render(state)
        #expect(canvas.contains("Offline"))
        #expect(canvas.contains("reconnecting in 3 s"))
        #expect(canvas.contains("waiting to go ✈️ …"))
        #expect(canvas.contains("1 to send"))
    }
}

/// The screens and overlays the tests above do not open: the reset form and every overlay, at
/// both sizes, each read back for what it must show, with no row wider than the screen.
@Suite struct OverlayAndFormScreenTests {
    init() { DisplayWidth.useUTF8Locale() }

    static let sizes = [(80, 24), (120, 40)]

    static func expectWhole(_ canvas: Canvas, _ what: String) {
        for y in 0..<canvas.height {
            let width = (0..<canvas.width).reduce(0) { $0 + Int(canvas[$1, y].width) }
            #expect(width == canvas.width, "\(what): row \(y) has \(width) columns")
        }
    }

    @Test(arguments: sizes)
    func resetPasswordScreen(width: Int, height: Int) {
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        state.width = width
        state.height = height
        _ = state.apply(.key(.function(3)))
        for character in "alice@example.com" { _ = state.apply(.key(.character(character))) }
        let canvas = AppView.render(state)
        #expect(canvas.contains("reset your password"))
        #expect(canvas.contains("alice@example.com"))
        #expect(canvas.contains("F5 send code"))
        Self.expectWhole(canvas, "reset")
    }

    @Test(arguments: sizes)
    func everyOverlay(width: Int, height: Int) {
        let base = ScreenFixtures.mainState(width: width, height: height)
        let bob = ScreenFixtures.bob
        var findGreeting = FindUser()
        findGreeting.step = .greeting(UserSummary(id: 9, username: "frank"))
        findGreeting.greeting.setText("Hi, I'm alice!")
        var search = MessageSearch()
        search.query.setText("今天")
        search.results = [ScreenFixtures.bobMessages[0]]
        var remark = RemarkEditor(friend: bob.id)
        remark.remark.setText("Bobby 🐻")
        let cases: [(Overlay, [String])] = [
            (.help, ["Keys", "Everywhere", "this help"]),
            (.search(search), ["Search messages", "今天", "1 found"]),
            (.findUser(FindUser()), ["Find people", "Enter search", "find you by your email: off · Alt-E"]),
            (.findUser(findGreeting), ["Find people", "Hi, I'm alice!", "Enter send request"]),
            (.requests(RequestsPanel()), ["Friend requests", "Incoming", "a accept"]),
            (
                .confirm(Confirmation(question: "Remove bob from your friends?", action: .removeFriend(bob.id))),
                ["Please confirm", "Remove bob from your friends?", "y yes · any other key no"]
            ),
            (.remark(remark), ["Remark for bob", "Bobby 🐻", "Enter save"]),
            (.themes(ThemePicker()), ["Theme", "Enter keep"]),
        ]
        for (overlay, texts) in cases {
            var state = base
            state.themeNames = ["default", "light", "wechat"]
            state.overlay = overlay
            let canvas = AppView.render(state)
            for text in texts {
                #expect(
                    canvas.contains(text),
                    "\(overlay) at \(width)×\(height) lacks “\(text)”:\n\(canvas.description)"
                )
            }
            Self.expectWhole(canvas, "\(overlay)")
        }
    }
}
