import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// Contrast measured, not eyeballed: every theme's every drawn pair against WCAG 2.x (4.5:1 for
/// text, 3:1 for borders and marks), on the xterm-256 palette's RGB values. Twice: by the table
/// of pairs (`ThemeContrastPair.all`), and by rendering real screens in every theme and
/// measuring each drawn glyph, which catches a view drawing a pair the table does not list.
@Suite struct ThemeContrastTests {
    init() { DisplayWidth.useUTF8Locale() }

    /// The shipped themes as the app loads them, and the two built into the app.
    static func themes() throws -> [(name: String, theme: Theme)] {
        var themes = try RepositoryThemes.loaded().map { (name: "Themes/\($0.name).toml", theme: $0.theme) }
        themes.append((name: "Theme.fallback", theme: .fallback))
        themes.append((name: "Theme.monochrome (NO_COLOR)", theme: .monochrome))
        return themes
    }

    static func ratio(_ a: UInt8, _ b: UInt8) -> Double {
        TerminalColor.contrastRatio(.indexed(a), .indexed(b)) ?? 0
    }

    static func rgb(_ index: UInt8) -> [Int] {
        let (red, green, blue) = TerminalColor.xtermRGB(index)
        return [red, green, blue]
    }

    static func format(_ ratio: Double) -> String {
        String(format: "%.2f", ratio)
    }

    /// What is wrong with a theme's pairs, one line each.
    static func failures(in theme: Theme, named name: String) -> [String] {
        ThemeContrastPair.all.compactMap { pair -> String? in
            switch pair.measure(in: theme) {
            case .ratio(let ratio) where ratio < pair.kind.minimumRatio:
                return "\(name): \(pair) is \(format(ratio)):1, needs \(format(pair.kind.minimumRatio)):1"
            case .mixedWithDefault:
                return "\(name): \(pair) mixes the terminal's default colour with a set one"
            case .ratio, .terminalDefaults:
                return nil
            }
        }
    }

    // MARK: - The measure itself

    @Test func wcagRatiosOnTheXtermPalette() {
        #expect(abs(Self.ratio(16, 231) - 21) < 0.001, "cube black on cube white")
        #expect(abs(Self.ratio(0, 15) - 21) < 0.001, "system black on system white")
        #expect(Self.ratio(226, 226) == 1)
        // #767676 on white is the textbook 4.54:1, the darkest grey that fails nothing.
        #expect(abs(Self.ratio(243, 231) - 4.54) < 0.01)
        // The ratios the issue reported for the default theme's selected row.
        #expect(abs(Self.ratio(245, 25) - 1.87) < 0.01, "preview text on the selection")
        #expect(abs(Self.ratio(242, 25) - 1.23) < 0.01, "time on the selection")
        #expect(Self.ratio(25, 245) == Self.ratio(245, 25), "order does not matter")
        #expect(Self.rgb(67) == [95, 135, 175], "the 6×6×6 cube")
        #expect(Self.rgb(232) == [8, 8, 8], "the grey ramp")
        #expect(Self.rgb(255) == [238, 238, 238])
        #expect(Self.rgb(9) == [255, 0, 0], "xterm's bright red")
        #expect(TerminalColor.terminalDefault.relativeLuminance == nil)
        #expect(TerminalColor.contrastRatio(.terminalDefault, .indexed(231)) == nil)
    }

    @Test func theTableNamesEveryRoleAndEveryRow() {
        let pairs = ThemeContrastPair.all
        #expect(Set(pairs.map(\.foreground)) == Set(ThemeRole.allCases), "every role needs a decision: text or marker")
        #expect(Set(pairs).count == pairs.count)
        // The friend list's rows: selected, unread (name on base, the badge) and normal.
        for role in [ThemeRole.selection, .base, .unreadBadge] {
            #expect(pairs.contains { $0.foreground == role && $0.background == role && $0.kind == .text })
        }
        for role in [ThemeRole.border, .borderFocused, .online, .offline, .pending, .delivered, .failed] {
            #expect(pairs.first { $0.foreground == role }?.kind == .marker, "\(role.rawValue) is a marker")
        }
    }

    /// The checker must fail a bad theme, or passing proves nothing.
    @Test func aBadThemeFails() throws {
        let yellowOnYellow = try ThemeLoader.parse(
            "[base]\nfg = 252\nbg = 234\n[selection]\nfg = 226\nbg = 226\n[border]\nfg = 235\n",
            name: "bad"
        )
        let problems = Self.failures(in: yellowOnYellow, named: "bad")
        #expect(problems.contains { $0.contains("selection on selection") && $0.contains("1.00:1, needs 4.50:1") })
        #expect(problems.contains { $0.contains("border on border") && $0.contains("needs 3.00:1") })
        #expect(problems.count == 2, "\(problems)")

        let halfDefault = try ThemeLoader.parse("[base]\nfg = \"default\"\nbg = 234\n", name: "half")
        #expect(Self.failures(in: halfDefault, named: "half").contains { $0.contains("mixes the terminal's default") })
        let allDefault = try ThemeLoader.parse("[base]\nfg = \"default\"\nbg = \"default\"\n", name: "plain")
        #expect(Self.failures(in: allDefault, named: "plain").isEmpty)
    }

    // MARK: - Every theme, every pair

    @Test func everyThemeMeetsTheRatioForEveryPair() throws {
        let loaded = try RepositoryThemes.loaded()
        #expect(loaded.count >= 5)
        for (name, _, warning) in loaded {
            #expect(warning == nil, "Themes/\(name).toml did not load: \(warning ?? "")")
        }
        for (name, theme) in try Self.themes() {
            let problems = Self.failures(in: theme, named: name)
            #expect(problems.isEmpty, "\n\(problems.joined(separator: "\n"))")
        }
    }

    /// Colour themes set every colour they draw: only monochrome leaves them to the terminal.
    @Test func colourThemesAreMeasuredEverywhere() throws {
        for (name, theme) in try Self.themes() where theme != .monochrome {
            for pair in ThemeContrastPair.all {
                guard case .ratio = pair.measure(in: theme) else {
                    Issue.record("\(name): \(pair) is not measurable")
                    continue
                }
            }
        }
    }

    // MARK: - Every theme, every drawn glyph

    /// Glyphs that are marks, not words: 3:1 is enough for them.
    static func isMarker(_ text: String) -> Bool {
        if ["●", "○", "⊘", "✓", "…", "◌", "›"].contains(text) { return true }
        let scalars = Array(text.unicodeScalars)
        return scalars.count == 1 && (0x2500...0x257F).contains(scalars[0].value)  // box drawing
    }

    /// Screens that between them draw every role: the main screen with the friend list focused,
    /// a selected unread friend, a draft, a search match in the conversation and the requests
    /// line; offline, with the banner and an unsent message; a selected draft; every overlay with
    /// a selected row; the sign-in form with an error and with good news.
    static func screens() -> [(name: String, state: AppState)] {
        let bob = ScreenFixtures.bob
        let carol = ScreenFixtures.carol
        var main = ScreenFixtures.mainState(width: 100, height: 30)
        main.focus = .friends
        main.drafts[.direct(carol.id)] = "half a thought"
        main.conversations[.direct(bob.id)]?.highlightedMessageID = 1
        main.conversations[.direct(bob.id)]?.highlightQuery = "你好"
        main.showNotice("Request sent.", .success)

        var offline = ScreenFixtures.mainState(width: 100, height: 30)
        offline.chat?.connection = .reconnecting(at: offline.now.addingTimeInterval(3), lastError: "no route")
        offline.chat?.outbox = [
            OutboxMessage(clientMessageID: "x", peerID: bob.id, text: "waiting", createdAtMs: ScreenFixtures.base)
        ]
        offline.showNotice("Could not send.", .error)

        var draftSelected = ScreenFixtures.mainState(width: 100, height: 30)
        draftSelected.selectedPeer = carol.id
        draftSelected.drafts[.direct(carol.id)] = "half a thought"
        draftSelected.showNotice("Theme saved.", .info)

        var search = MessageSearch()
        search.query.setText("a")
        search.results = ScreenFixtures.bobMessages
        search.selected = 1
        search.searched = true
        var find = FindUser()
        find.query.setText("da")
        find.results = [ScreenFixtures.dave, UserSummary(id: 7, username: "dan")]
        find.searched = true
        let overlays: [(String, Overlay)] = [
            ("help", .help),
            ("search", .search(search)),
            ("find people", .findUser(find)),
            ("requests", .requests(RequestsPanel())),
            ("themes", .themes(ThemePicker(selected: 1))),
            ("confirm", .confirm(Confirmation(question: "Remove bob?", action: .removeFriend(bob.id)))),
            ("remark", .remark(RemarkEditor(friend: bob.id))),
        ]
        var screens: [(name: String, state: AppState)] = [
            ("main", main), ("offline", offline), ("selected draft", draftSelected),
        ]
        for (name, overlay) in overlays {
            var state = ScreenFixtures.mainState(width: 100, height: 30)
            state.themeNames = ["default", "light", "wechat"]
            state.overlay = overlay
            screens.append((name: name, state: state))
        }
        screens += groupScreens()
        screens += messageScreens()

        var signIn = AppState(serverURL: "http://127.0.0.1:8888")
        signIn.width = 100
        signIn.height = 30
        signIn.signIn.error = "Wrong username or password."
        var signedOut = signIn
        signedOut.signIn.error = nil
        signedOut.signIn.info = "Password changed."
        screens.append((name: "sign-in error", state: signIn))
        screens.append((name: "sign-in info", state: signedOut))
        return screens
    }

    /// The group's screens: its row with "#", member count, "@" and a muted count (on a plain
    /// and on a selected row), one left, its chat with a system line beside the member pane;
    /// the picker (a chosen friend, an error) and the group's panel (the owner's keys, an error).
    static func groupScreens() -> [(name: String, state: AppState)] {
        let team = ScreenFixtures.teamID
        var open = ScreenFixtures.groupState(width: 100, height: 30)
        _ = open.select(.group(team))
        open.memberPaneOpen = true
        open.chat?.groups[team]?.muted = true
        open.chat?.conversations[ScreenFixtures.bob.id]?.muted = true
        var left = ScreenFixtures.groupState(width: 100, height: 30)
        left.chat?.groups[team]?.isMember = false
        left.chat?.groups[8] = GroupConversation(
            group: GroupSummary(id: 8, name: "family", ownerID: ScreenFixtures.bob.id, memberCount: 3),
            unread: 2,
            muted: true
        )
        _ = left.select(.group(8))
        var picker = FriendPicker(purpose: .newGroup)
        picker.chosen = [ScreenFixtures.carol.id]
        picker.selected = 1
        picker.error = "You are in too many groups."
        var naming = picker
        naming.step = .name
        naming.name.setText("hikers")
        naming.error = nil
        naming.busy = true
        var panel = GroupInfoPanel(group: team)
        panel.selected = 1
        panel.error = "Only the group's owner can remove members."
        var screens = [(name: "group", state: open), (name: "group left", state: left)]
        for (name, overlay) in [
            ("new group", Overlay.pickFriends(picker)), ("group name", .pickFriends(naming)),
            ("group info", .groupInfo(panel)),
        ] {
            var state = ScreenFixtures.groupState(width: 100, height: 30)
            state.overlay = overlay
            screens.append((name: name, state: state))
        }
        return screens
    }

    /// A conversation's rows: a quote, recalls, system lines, a message naming me (plain and
    /// selected), ✓✓, who is typing, a selected message's keys, and the reply being written.
    static func messageScreens() -> [(name: String, state: AppState)] {
        var selected = MessageFixtures.teamState(width: 100, height: 30)
        let now = MessageFixtures.nowMs(selected)
        selected.chat?.typing[MessageFixtures.team] = [ScreenFixtures.bob.id: now + 3_000]
        _ = selected.apply(.key(.up))
        _ = selected.apply(.key(.up))
        _ = selected.apply(.key(.up))
        var replying = MessageFixtures.teamState(width: 100, height: 30)
        _ = replying.apply(.key(.up))
        _ = replying.apply(.key(.character("r")))
        var read = ScreenFixtures.mainState(width: 100, height: 30)
        read.chat?.conversations[ScreenFixtures.bob.id]?.peerReadSeq = 4
        return [("selected mention", selected), ("replying", replying), ("read", read)]
    }

    @Test func everyDrawnGlyphMeetsTheRatioInEveryTheme() throws {
        for (themeName, theme) in try Self.themes() {
            var problems: [String] = []
            var reported = Set<String>()
            for (screenName, screen) in Self.screens() {
                var state = screen
                state.theme = theme
                let canvas = AppView.render(state)
                for y in 0..<canvas.height {
                    for x in 0..<canvas.width {
                        let cell = canvas[x, y]
                        guard !cell.text.allSatisfy(\.isWhitespace) else { continue }
                        let (front, back) = (cell.style.foreground, cell.style.background)
                        let kind: ThemeContrastPair.Kind = Self.isMarker(cell.text) ? .marker : .text
                        let key = "\(screenName) \(front) \(back) \(kind)"
                        guard let ratio = TerminalColor.contrastRatio(front, back) else {
                            let bothDefault = front == .terminalDefault && back == .terminalDefault
                            if !bothDefault, reported.insert(key).inserted {
                                problems.append("\(screenName): “\(cell.text)” at \(x),\(y) mixes default colours")
                            }
                            continue
                        }
                        if ratio < kind.minimumRatio, reported.insert(key).inserted {
                            problems.append(
                                "\(screenName): “\(cell.text)” at \(x),\(y), \(front) on \(back), is "
                                    + "\(Self.format(ratio)):1, needs \(Self.format(kind.minimumRatio)):1"
                            )
                        }
                    }
                }
            }
            #expect(problems.isEmpty, "\(themeName):\n\(problems.joined(separator: "\n"))")
        }
    }
}
