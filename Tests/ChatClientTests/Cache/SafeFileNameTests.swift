import ChatClient
import ChatProtocol
import Foundation
import Testing

/// File names the client derives from what a server says. The server is not trusted: whatever it
/// names, the file stays inside the client's data directory.
@Suite struct SafeFileNameTests {
    static let hostile = [
        "../../etc/passwd", "..", ".", "", "/absolute", "a/../../b", "..\\..\\windows", "a\u{0}b", "\u{1b}[2J",
        String(repeating: "a", count: 10_000), String(repeating: "é", count: 300), ".hidden", "~", "con",
        "alice", "Alice", "a_b", "a/b", "a b",
    ]

    @Test func aHostileNameBecomesOneHarmlessName() {
        for name in Self.hostile {
            let safe = SafeFileName.from(name)
            #expect(!safe.isEmpty)
            #expect(!safe.contains("/") && !safe.contains("\\") && !safe.contains("\u{0}"), "\(safe)")
            #expect(!safe.hasPrefix("."), "\(safe)")
            #expect(safe.utf8.count <= 80, "\(safe.utf8.count) bytes")
            #expect(
                safe.unicodeScalars.allSatisfy {
                    $0.isASCII && ($0.properties.isAlphabetic || "0123456789._-".unicodeScalars.contains($0))
                }
            )
        }
    }

    @Test func distinctNamesStayDistinctAndPlainNamesStayReadable() {
        let names = Self.hostile.map { $0.lowercased() }
        #expect(Set(Set(names).map(SafeFileName.from)).count == Set(names).count)
        #expect(SafeFileName.from("alice") == "alice")
        #expect(SafeFileName.from("127.0.0.1") == "127.0.0.1")
        #expect(SafeFileName.from("chat-server_2") == "chat-server_2")
    }

    @Test func theCachePathStaysInsideTheDataDirectory() {
        let environment = ["XDG_DATA_HOME": "/tmp/wechat-safe-name-test"]
        let base = AppPaths(environment: environment).data
        for name in Self.hostile {
            let path = MessageCache.defaultPath(host: name, port: 1, username: name, environment: environment)
            let standardized = (path as NSString).standardizingPath
            #expect(standardized.hasPrefix(base + "/"), "\(standardized)")
            #expect((standardized as NSString).deletingLastPathComponent.hasPrefix(base + "/"))
            #expect(standardized.split(separator: "/").count == base.split(separator: "/").count + 2)
        }
    }
}
