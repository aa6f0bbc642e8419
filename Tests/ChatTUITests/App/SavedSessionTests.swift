import ChatTUI
import Foundation
import Testing

/// The saved session and the account's cache file sit in one folder per server, whatever a
/// server answers as the username.
@Suite struct SavedSessionTests {
    @Test func aUsernameFromTheServerCannotLeadOutOfTheServersFolder() {
        let environment = ["XDG_DATA_HOME": "/tmp/wechat-saved-session-test"]
        let saved = SavedSession(serverURL: "http://127.0.0.1:8888", environment: environment)
        let folder = (saved.path as NSString).deletingLastPathComponent
        for username in ["../../../etc/cron.d/evil", "..", "/root/x", "a/b", String(repeating: "x", count: 5_000)] {
            let path = (saved.cachePath(username: username) as NSString).standardizingPath
            #expect((path as NSString).deletingLastPathComponent == folder, "\(path)")
            #expect(path.hasSuffix(".sqlite"))
        }
        #expect(saved.cachePath(username: "Alice") == folder + "/alice.sqlite")
    }
}
