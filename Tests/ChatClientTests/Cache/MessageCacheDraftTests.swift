import ChatClient
import Foundation
import Testing

/// Unsent text outlives the app: drafts kept in one run are in the cache file for the next.
@Suite struct MessageCacheDraftTests {
    @Test func draftsAreBackWhenTheCacheIsOpenedAgain() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("drafts-\(UUID().uuidString).sqlite")
            .path
        defer {
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        }
        do {
            let cache = try MessageCache(path: path)
            #expect(try cache.drafts().isEmpty)
            try cache.replaceDrafts([2: "for bob\n\twith a tab", 3: "for carol", 4: ""])
            #expect(try cache.drafts() == [2: "for bob\n\twith a tab", 3: "for carol"])
        }
        // A new cache on the same file, as after a restart.
        let reopened = try MessageCache(path: path)
        #expect(try reopened.drafts() == [2: "for bob\n\twith a tab", 3: "for carol"])
        // Carol's was sent meanwhile: the next save leaves it out, and it is gone.
        try reopened.replaceDrafts([2: "for bob, edited"])
        #expect(try MessageCache(path: path).drafts() == [2: "for bob, edited"])
    }
}
