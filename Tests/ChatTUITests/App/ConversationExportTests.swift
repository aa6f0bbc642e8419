import ChatClient
import ChatProtocol
import Foundation
import Testing

@testable import ChatTUI

/// F4: the whole conversation to a text file, through a real message cache and session, and the
/// key's effect.
@Suite struct ConversationExportTests {
    init() { DisplayWidth.useUTF8Locale() }

    let alice = ScreenFixtures.alice
    let bob = ScreenFixtures.bob

    /// Seq 1…`count` between alice and bob, a minute apart; bob writes the odd ones.
    func conversation(_ count: Int) -> [ChatMessage] {
        ScreenFixtures.conversation(
            count,
            bobWrote: { $0 % 2 == 1 },
            text: { seq in seq == 7 ? "three\nlines\n\tindented" : "message \(seq)" }
        )
    }

    func time(_ message: ChatMessage) -> String {
        TimeFormat.day(ms: message.sentAtMs) + " " + TimeFormat.clock(ms: message.sentAtMs)
    }

    /// 230 messages in the cache, more than two pages: all of them reach the file, oldest first,
    /// the file replacing an older one of the same day with mode 0600.
    @Test func exportsEveryPageOfARealSessionsHistory() async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("export-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let messages = conversation(230)
        let cache = try MessageCache(path: directory + "/alice.sqlite")
        try cache.apply(messages: messages, me: alice.id)
        // Never started, so never connected: its history is the cache's, page by page.
        let session = try ChatSession(
            credentials: SessionCredentials(
                userID: alice.id,
                username: alice.username,
                token: "unused",
                expiresAt: Int64.max,
                gateURL: "http://127.0.0.1:9",
                chatServer: GateAPI.ChatServerAddress(host: "127.0.0.1", port: 9)
            ),
            cache: cache
        )
        let exports = directory + "/exports"
        let now = Date(timeIntervalSince1970: Double(ScreenFixtures.base) / 1000)
        let stale = exports + "/" + ConversationExport.fileName(stem: "bob", date: now)
        try FileManager.default.createDirectory(atPath: exports, withIntermediateDirectories: true)
        try "an older export, with the mode of another time\n".write(toFile: stale, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: stale)

        let bobID = bob.id
        let result = try await ConversationExport.export(
            fileStem: "bob",
            names: [alice.id: "alice", bob.id: "Bob 🛠"],
            directory: exports,
            now: now
        ) { beforeSeq in
            try await session.history(with: bobID, beforeSeq: beforeSeq, limit: ConversationExport.pageSize)
        }

        #expect(result.path == stale)
        #expect(result.count == 230)
        let attributes = try FileManager.default.attributesOfItem(atPath: result.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let text = try String(contentsOfFile: result.path, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // 230 messages, two continuation lines, and the empty string after the final newline.
        #expect(lines.count == 233)
        #expect(lines.first == "\(time(messages[0]))  Bob 🛠: message 1")
        #expect(lines[1] == "\(time(messages[1]))  alice: message 2")
        #expect(lines[6] == "\(time(messages[6]))  Bob 🛠: three")
        #expect(lines[7] == "                  lines")
        // A tab stays a tab: the file holds what was typed.
        #expect(lines[8] == "                  \tindented")
        #expect(lines[9] == "\(time(messages[7]))  alice: message 8")
        #expect(lines[231] == "\(time(messages[229]))  alice: message 230")
        #expect(lines.last == "")
        #expect(!text.contains("an older export"))
    }

    /// The server caps pages by bytes, so pages come shorter than asked: paging goes on to seq 1.
    /// A history that ends early (a cache without a connection) gives what it has; one that
    /// repeats itself ends instead of looping.
    @Test func pagingGoesBackToTheFirstMessageAndAlwaysEnds() async throws {
        let all = conversation(230)
        let shortPages = try await ConversationExport.collect { beforeSeq in
            let older = all.filter { beforeSeq == 0 || $0.seq < beforeSeq }
            return Array(older.suffix(37).reversed())
        }
        #expect(shortPages == all)

        let onlyRecent = try await ConversationExport.collect { beforeSeq in
            let older = all.filter { $0.seq > 150 && (beforeSeq == 0 || $0.seq < beforeSeq) }
            return Array(older.suffix(50).reversed())
        }
        #expect(onlyRecent == Array(all.suffix(80)))

        let stuck = try await ConversationExport.collect { _ in Array(all.suffix(10).reversed()) }
        #expect(stuck == Array(all.suffix(10)))
    }

    /// What lands in the file is safe to `cat`: a message's escape sequences and other controls
    /// are dropped, as on screen.
    @Test func controlCharactersDoNotReachTheFile() {
        let message = ScreenFixtures.message(1, from: bob, to: alice, seq: 1, "\u{1b}]0;owned\u{07}red\u{1b}[31m!")
        let text = ConversationExport.text(of: [message], names: [bob.id: "bob\u{1b}[2J"])
        #expect(text == "\(time(message))  bob[2J: ]0;ownedred[31m!\n")
        #expect(!text.unicodeScalars.contains { ControlCharacter.contains($0.value) && $0 != "\n" })
    }

    @Test func theFileNameIsTheFriendsNameMadeSafeAndTheDay() {
        let day = Date(timeIntervalSince1970: Double(ScreenFixtures.base) / 1000)
        let date = TimeFormat.day(ms: ScreenFixtures.base)
        #expect(ConversationExport.fileName(stem: "bob", date: day) == "bob-\(date).txt")
        let hostile = ConversationExport.fileName(stem: "../../.ssh/authorized_keys", date: day)
        #expect(!hostile.contains("/") && !hostile.hasPrefix("."))
        #expect(ConversationExport.directory(environment: ["XDG_DATA_HOME": "/data"]) == "/data/wechat/exports")
        let exports = "/home/me/.local/share/wechat/exports"
        #expect(ConversationExport.shortened(exports, home: "/home/me") == "~/.local/share/wechat/exports")
        #expect(ConversationExport.shortened("/home/meow/x", home: "/home/me") == "/home/meow/x")
    }

    @Test func f4AsksToExportTheOpenConversation() {
        var state = ScreenFixtures.mainState(width: 120, height: 24)
        _ = state.select(.direct(ScreenFixtures.carol.id))
        let effects = state.apply(.key(.function(4)))
        let names = [alice.id: "alice", ScreenFixtures.carol.id: "Carol 🎨"]
        #expect(
            effects == [
                .exportConversation(conversation: .direct(ScreenFixtures.carol.id), fileStem: "carol", names: names)
            ]
        )
        #expect(AppView.render(state).contains("Exporting the conversation with Carol 🎨…"))

        // From the friend list too, and with nothing open it says so instead.
        state.focus = .friends
        #expect(state.apply(.key(.function(4))).count == 1)
        state.selectedPeer = nil
        #expect(state.apply(.key(.function(4))).isEmpty)
        #expect(AppView.render(state).contains("Open a conversation to export it."))
    }
}
