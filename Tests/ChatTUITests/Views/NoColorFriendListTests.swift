import ChatClient
import Testing

@testable import ChatTUI

/// Without colour, the friend list's rows differ by attributes alone: selected is reverse, unread
/// is bold, a selected unread row is both, the rest plain. (With a colour theme's colours
/// dropped, selected and unread were both just bold.)
@Suite struct NoColorFriendListTests {
    init() { DisplayWidth.useUTF8Locale() }

    /// A friend's row: the first cell of the name (the list draws names 4 columns in), the
    /// presence mark before it, and the row's y.
    static func row(_ name: String, in canvas: Canvas, list: Rect) -> (name: Cell, mark: Cell, y: Int)? {
        let x = list.x + 4
        for y in list.y..<list.maxY {
            let spelled = (0..<name.count).map { canvas[x + $0, y].text }.joined()
            if spelled == name { return (canvas[x, y], canvas[x - 2, y], y) }
        }
        return nil
    }

    static func render(selecting peer: UserID) -> (Canvas, Rect) {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        // What the app does with NO_COLOR set, whatever theme is configured.
        state.theme = NoColor.theme(.fallback, noColor: true)
        state.focus = .friends
        state.selectedPeer = peer
        return (AppView.render(state), MainView.layout(state).friends)
    }

    @Test func selectedUnreadAndNormalRowsDifferByAttributes() throws {
        // bob has 2 unread, carol's conversation is read, dave has none.
        let (canvas, list) = Self.render(selecting: ScreenFixtures.carol.id)
        let selected = try #require(Self.row("Carol", in: canvas, list: list), "\(canvas)")
        let unread = try #require(Self.row("bob", in: canvas, list: list), "\(canvas)")
        let normal = try #require(Self.row("dave", in: canvas, list: list), "\(canvas)")
        let (bobSelected, _) = Self.render(selecting: ScreenFixtures.bob.id)
        let selectedUnread = try #require(Self.row("bob", in: bobSelected, list: list), "\(bobSelected)")

        let styles = [selected.name.style, unread.name.style, normal.name.style, selectedUnread.name.style]
        for style in styles {
            #expect(style.foreground == .terminalDefault && style.background == .terminalDefault, "no colour")
        }
        #expect(selected.name.style.reverse && !selected.name.style.bold, "selected: reverse")
        #expect(!unread.name.style.reverse && unread.name.style.bold, "unread: bold")
        #expect(!normal.name.style.reverse && !normal.name.style.bold, "normal: plain")
        #expect(selectedUnread.name.style.reverse && selectedUnread.name.style.bold, "selected and unread: both")
        #expect(Set(styles).count == 4, "four kinds of row, four looks")
        // The whole selected row is reversed, its presence mark too.
        #expect(selected.mark.text == "○" && selected.mark.style.reverse)
        #expect(unread.mark.text == "●" && !unread.mark.style.reverse)
    }

    /// The unread count still shows on a reversed row: it is not reversed itself.
    @Test func theBadgeStandsOutOnASelectedRow() throws {
        let (canvas, list) = Self.render(selecting: ScreenFixtures.bob.id)
        let bob = try #require(Self.row("bob", in: canvas, list: list), "\(canvas)")
        // The count is on the row's second line, right-aligned: bob has 2 unread.
        let x = try #require((list.x..<list.maxX).last { canvas[$0, bob.y + 1].text == "2" }, "\(canvas)")
        let cell = canvas[x, bob.y + 1]
        #expect(!cell.style.reverse && cell.style.bold && cell.style.underline)
    }
}
