import ChatClient
import Foundation
import Testing

@testable import ChatTUI

/// A draft per conversation, kept across restarts: what the app asks to save, through a real
/// cache file, is what a new app on the same file shows again.
@Suite struct AppStateDraftTests {
    let bob = ConversationKey.direct(ScreenFixtures.bob.id)
    let carol = ConversationKey.direct(ScreenFixtures.carol.id)

    func type(_ text: String, into state: inout AppState) {
        for character in text { _ = state.apply(.key(.character(character))) }
    }

    /// The drafts of the effect `state` asks for, as the runner would save them.
    func saved(_ effects: [Effect]) -> [ConversationKey: String]? {
        for case .saveDrafts(let drafts) in effects { return drafts }
        return nil
    }

    /// The drafts a cache kept, as the runner hands them to the app (the cache keys them by
    /// `ConversationKey.rawValue`).
    static func drafts(in cache: MessageCache) throws -> [ConversationKey: String] {
        Dictionary(uniqueKeysWithValues: try cache.drafts().map { (ConversationKey(rawValue: $0), $1) })
    }

    @Test func draftsSurviveARestart() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("drafts-\(UUID().uuidString).sqlite")
            .path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        // Nothing is saved before the kept drafts are back: an empty set would wipe them.
        type("hello", into: &state)
        #expect(saved(state.perform(.nextConversation)) == nil)
        #expect(state.saveDraftsEffect.isEmpty)
        _ = state.perform(.previousConversation)
        #expect(state.input.text == "hello")

        let cache = try MessageCache(path: path)
        _ = state.apply(.draftsLoaded(try Self.drafts(in: cache)))
        type(" bob", into: &state)
        // Leaving bob's conversation saves his draft at once; carol's input is hers.
        let leaving = state.perform(.nextConversation)
        #expect(saved(leaving) == [bob: "hello bob"])
        type("for carol", into: &state)
        _ = state.apply(.key(.paste("\tpasted")))
        // Quitting saves what is in the open conversation's input too.
        let atQuit = try #require(saved(state.saveDraftsEffect))
        #expect(atQuit == [bob: "hello bob", carol: "for carol\tpasted"])
        try cache.replaceDrafts(Dictionary(uniqueKeysWithValues: atQuit.map { ($0.rawValue, $1) }))

        // The next start: a new app on the same cache file.
        var next = ScreenFixtures.mainState(width: 80, height: 24)
        _ = next.apply(.draftsLoaded(try Self.drafts(in: MessageCache(path: path))))
        #expect(next.selectedConversation == bob)
        #expect(next.input.text == "hello bob")
        #expect(next.drafts == [carol: "for carol\tpasted"])
        #expect(AppView.render(next).contains("[Draft] for c"))
        _ = next.perform(.nextConversation)
        #expect(next.input.text == "for carol\tpasted")
    }

    /// Kept drafts never overwrite what was typed before they arrived.
    @Test func keptDraftsDoNotOverwriteNewTyping() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        type("new", into: &state)
        _ = state.apply(.draftsLoaded([bob: "old", carol: "for carol"]))
        #expect(state.input.text == "new")
        #expect(state.drafts == [carol: "for carol"])
    }

    /// Signing out saves the drafts in the account's cache first, then takes them off the screen:
    /// the next person to sign in here does not see them.
    @Test func signingOutKeepsTheDraftsForTheAccountOnly() {
        var state = ScreenFixtures.mainState(width: 80, height: 24)
        _ = state.apply(.draftsLoaded([carol: "for carol"]))
        type("for bob", into: &state)
        _ = state.perform(.signOut)
        #expect(
            state.apply(.key(.character("y"))) == [.saveDrafts([bob: "for bob", carol: "for carol"]), .signOut]
        )
        _ = state.apply(.signedOut)
        #expect(state.drafts.isEmpty && state.input.isEmpty)
        #expect(state.saveDraftsEffect.isEmpty)
    }
}
