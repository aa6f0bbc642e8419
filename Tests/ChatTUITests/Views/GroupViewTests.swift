import ChatClient
import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// The group screens rendered into the grid at the sizes people use, and read back cell by cell:
/// the conversation list with a group, the new-group picker, the member pane, the group's panel.
@Suite struct GroupViewTests {
    init() { DisplayWidth.useUTF8Locale() }

    static let sizes = [(80, 24), (120, 40)]
    static let team = ScreenFixtures.teamID

    /// Row `y` of the canvas, only the columns of `rect`.
    static func text(_ canvas: Canvas, row y: Int, in rect: Rect) -> String {
        (rect.x..<rect.maxX).filter { !canvas[$0, y].isContinuation }.map { canvas[$0, y].text }.joined()
    }

    /// The first row of `rect` whose text holds `needle`.
    static func row(_ needle: String, in canvas: Canvas, within rect: Rect) -> Int? {
        (rect.y..<rect.maxY).first { text(canvas, row: $0, in: rect).contains(needle) }
    }

    /// The rightmost cell of row `y` in `rect` showing `glyph`, and its column.
    static func cell(_ glyph: String, row y: Int, in canvas: Canvas, within rect: Rect) -> (cell: Cell, x: Int)? {
        guard let x = (rect.x..<rect.maxX).last(where: { canvas[$0, y].text == glyph }) else { return nil }
        return (canvas[x, y], x)
    }

    /// A name too long for the list gives way to the member count, and says it was cut.
    @Test(arguments: sizes)
    func aLongGroupNameIsCutWithAnEllipsisBeforeItsCount(width: Int, height: Int) throws {
        var state = ScreenFixtures.groupState(width: width, height: height)
        state.chat?.groups[Self.team]?.group.name = "周末爬山 hikers and climbers of the north ridge"
        let list = MainView.layout(state).friends
        let canvas = AppView.render(state)
        let y = try #require(Self.row("# 周末", in: canvas, within: list), "\(canvas)")
        let row = Self.text(canvas, row: y, in: list)
        #expect(row.contains("… (5)"), "\(row)")
    }

    @Test(arguments: sizes)
    func theListShowsAGroupWithItsCountBadgesAndMute(width: Int, height: Int) throws {
        var state = ScreenFixtures.groupState(width: width, height: height)
        let theme = state.theme
        let list = MainView.layout(state).friends
        var canvas = AppView.render(state)
        #expect(canvas.contains("Chats (4)"), "\(canvas)")
        // Its name and member count, above bob's: its last message is the newest.
        let y = try #require(Self.row("# team (5)", in: canvas, within: list), "\(canvas)")
        let bobY = try #require(Self.row("● bob", in: canvas, within: list), "\(canvas)")
        #expect(y < bobY)
        // Where a friend's presence is, "#"; the name where a friend's is, bold while unread.
        #expect(canvas[list.x + 2, y].text == "#" && canvas[list.x + 2, y].style == theme[.hint])
        #expect(canvas[list.x + 4, y].text == "t" && canvas[list.x + 4, y].style.bold)
        // The preview names who wrote; "@" and the count are badges.
        #expect(Self.text(canvas, row: y + 1, in: list).contains("bob: @"))
        let at = try #require(Self.cell("@", row: y + 1, in: canvas, within: list))
        let count = try #require(Self.cell("3", row: y + 1, in: canvas, within: list))
        #expect(at.x < count.x)
        #expect(at.cell.style == theme[.unreadBadge] && count.cell.style == theme[.unreadBadge])

        // Muted: the count is quiet, the "@" still stands out (a mention rings even muted). A
        // muted friend's count is quiet too, on a selected row in the selection's colours.
        state.chat?.groups[Self.team]?.muted = true
        state.chat?.conversations[ScreenFixtures.bob.id]?.muted = true
        canvas = AppView.render(state)
        let mutedAt = try #require(Self.cell("@", row: y + 1, in: canvas, within: list))
        let mutedCount = try #require(Self.cell("3", row: y + 1, in: canvas, within: list))
        #expect(mutedAt.cell.style == theme[.unreadBadge])
        #expect(mutedCount.cell.style == theme[.hint])
        let bobCount = try #require(Self.cell("2", row: bobY + 1, in: canvas, within: list), "\(canvas)")
        #expect(bobCount.cell.style == theme.onSelectedRow(.hint))

        // Left: no member count, the name quiet, and the preview says so.
        state.chat?.groups[Self.team]?.isMember = false
        canvas = AppView.render(state)
        #expect(!canvas.contains("# team (5)"))
        let leftY = try #require(Self.row("# team", in: canvas, within: list), "\(canvas)")
        #expect(canvas[list.x + 4, leftY].text == "t" && canvas[list.x + 4, leftY].style == theme[.hint])
        #expect(Self.text(canvas, row: leftY + 1, in: list).contains("(left)"))
        OverlayAndFormScreenTests.expectWhole(canvas, "list at \(width)×\(height)")
    }

    @Test(arguments: sizes)
    func theNewGroupPickerChoosesFriendsThenAName(width: Int, height: Int) {
        var state = ScreenFixtures.groupState(width: width, height: height)
        _ = state.apply(.key(.alt("g")))
        var canvas = AppView.render(state)
        for text in [
            "New group", "[ ] ● bob", "[ ] ○ Carol 🎨 (carol)", "[ ] ● dave", "Nobody chosen yet.", "Space choose",
        ] {
            #expect(canvas.contains(text), "lacks “\(text)”:\n\(canvas)")
        }
        // Typing filters; Space takes the friend under the cursor.
        for character in "ca" { _ = state.apply(.key(.character(character))) }
        _ = state.apply(.key(.character(" ")))
        canvas = AppView.render(state)
        #expect(canvas.contains("[x] ○ Carol 🎨 (carol)"), "\(canvas)")
        #expect(!canvas.contains("[ ] ● bob"), "filtered out")
        #expect(canvas.contains("Chosen (1): Carol 🎨"))
        OverlayAndFormScreenTests.expectWhole(canvas, "picker at \(width)×\(height)")

        // Enter goes on to the name, its length counted in bytes.
        _ = state.apply(.key(.enter))
        canvas = AppView.render(state)
        for text in ["You and Carol 🎨", "Group name", "e.g. Weekend hikers", "0 of 96 bytes", "Enter create the group"]
        {
            #expect(canvas.contains(text), "lacks “\(text)”:\n\(canvas)")
        }
        for character in "Hikers 🥾" { _ = state.apply(.key(.character(character))) }
        #expect(AppView.render(state).contains("11 of 96 bytes"))
        let effects = state.apply(.key(.enter))
        #expect(effects == [.createGroup(name: "Hikers 🥾", members: [ScreenFixtures.carol.id])])
        #expect(AppView.render(state).contains("Creating the group…"))

        // The server's refusal is shown in the picker, which stays open.
        _ = state.apply(.groupCreated(.failure(ChatError(.limitReached, "You are in too many groups."))))
        canvas = AppView.render(state)
        #expect(canvas.contains("You are in too many groups."), "\(canvas)")
        #expect(canvas.contains("Group name"))
        OverlayAndFormScreenTests.expectWhole(canvas, "picker's name at \(width)×\(height)")
    }

    @Test(arguments: sizes)
    func theMemberPaneListsTheOpenGroupsMembers(width: Int, height: Int) throws {
        var state = ScreenFixtures.groupState(width: width, height: height)
        let theme = state.theme
        _ = state.select(.group(Self.team))
        #expect(state.apply(.key(.alt("m"))) == [.loadGroup(Self.team)])
        let layout = MainView.layout(state)
        let pane = try #require(layout.members, "the pane fits at \(width)×\(height)")
        #expect(pane.maxX == width && layout.chat.maxX == pane.x)
        let canvas = AppView.render(state)
        #expect(Self.text(canvas, row: pane.y, in: pane).contains("Members 3/5"), "\(canvas)")
        // The owner first, starred; then those online; then the rest, each with presence.
        let rows = (pane.y + 1..<pane.y + 6).map { Self.text(canvas, row: $0, in: pane) }
        let expected = ["● alice (me)", "● bob", "● dave", "○ Carol 🎨", "○ erin"]
        for (row, name) in zip(rows, expected) { #expect(row.contains(name), "\(rows)") }
        #expect(rows[0].contains("★") && !rows[1].contains("★"))
        let dot = canvas[pane.x + 2, pane.y + 1]
        #expect(dot.text == "●" && dot.style == theme[.online])
        #expect(canvas[pane.x + 2, pane.y + 4].style == theme[.offline])
        // The chat beside it: the group's title, its own line, and each sender by name.
        let chat = Self.text(canvas, row: layout.chat.y, in: layout.chat)
        #expect(chat.contains("# team") && chat.contains("5 members"), "\(chat)")
        #expect(canvas.contains("alice created the group"))
        #expect(canvas.contains("erin") && canvas.contains("我也去！"), "\(canvas)")
        OverlayAndFormScreenTests.expectWhole(canvas, "member pane at \(width)×\(height)")

        // Not loaded yet: it says so. Hidden again: the chat takes the room back.
        state.chat?.groupMembers = [:]
        #expect(Self.text(AppView.render(state), row: pane.y + 1, in: pane).contains("Loading…"))
        _ = state.apply(.key(.alt("m")))
        #expect(MainView.layout(state).members == nil)
        #expect(MainView.layout(state).chat.maxX == width)
    }

    @Test(arguments: sizes)
    func theGroupPanelShowsItAndWhatMayBeDone(width: Int, height: Int) throws {
        var state = ScreenFixtures.groupState(width: width, height: height)
        let theme = state.theme
        _ = state.select(.group(Self.team))
        #expect(state.apply(.key(.alt("i"))) == [.loadGroup(Self.team)])
        var canvas = AppView.render(state)
        for text in [
            "# team", "Name", "Owner", "alice (me)", "Announcement", "Saturday: meet at the station at 8 🥾",
            "Members (5)", "★ owner", "r rename · a announcement · d remove · o make owner",
            "↑↓ choose · i invite · l leave · Esc close",
        ] {
            #expect(canvas.contains(text), "lacks “\(text)”:\n\(canvas)")
        }
        // The member under the cursor is the selected row: alice, the owner, first.
        let panel = state.bounds.centered(width: min(76, width - 4), height: height - 2)
        let ownerY = try #require(Self.row("★ owner", in: canvas, within: panel), "\(canvas)")
        #expect(Self.text(canvas, row: ownerY, in: panel).contains("alice (me)"))
        let ownerX = try #require(Self.cell("a", row: ownerY, in: canvas, within: panel)).x
        #expect(canvas[ownerX, ownerY].style == theme[.selection])
        OverlayAndFormScreenTests.expectWhole(canvas, "group panel at \(width)×\(height)")

        // Editing the announcement: the field takes the row, Enter saves.
        _ = state.apply(.key(.character("a")))
        canvas = AppView.render(state)
        #expect(canvas.contains("Enter save · Esc cancel"), "\(canvas)")
        #expect(canvas.lines.contains { $0.contains("Announcement") && $0.contains("Saturday: meet") })
        _ = state.apply(.key(.escape))

        // Someone else's group: the owner's keys are not offered, and pressed they say why.
        state.chat?.groups[Self.team]?.group.ownerID = ScreenFixtures.bob.id
        _ = state.apply(.key(.character("r")))
        canvas = AppView.render(state)
        #expect(!canvas.contains("r rename"))
        #expect(canvas.contains("Only the owner, bob, can rename the group."), "\(canvas)")
        let bobRow = try #require(canvas.lines.first { $0.contains("★ owner") })
        #expect(bobRow.contains("bob"))
        OverlayAndFormScreenTests.expectWhole(canvas, "member's group panel at \(width)×\(height)")
    }
}
