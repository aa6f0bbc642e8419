import Testing

@testable import ChatTUI

@Suite struct HyperlinkTests {
    @Test func theEscapeSequencesAreOSC8WithST() {
        #expect(Hyperlink.open("https://a.cn/") == "\u{1b}]8;;https://a.cn/\u{1b}\\")
        #expect(Hyperlink.close == "\u{1b}]8;;\u{1b}\\")
    }

    @Test func onlyHTTPAndHTTPSAreLinked() {
        #expect(Hyperlink.safeURL("https://example.com/a?b=c#d") == "https://example.com/a?b=c#d")
        #expect(Hyperlink.safeURL("HTTP://EXAMPLE.COM") == "HTTP://EXAMPLE.COM")
        #expect(Hyperlink.safeURL("javascript:alert(1)") == nil)
        #expect(Hyperlink.safeURL("file:///etc/passwd") == nil)
        #expect(Hyperlink.safeURL("httpx://a") == nil)
    }

    @Test func anythingAURLMayNotHoldIsPercentEncoded() throws {
        let encoded = "https://%E4%BE%8B%E3%81%88.jp/%E3%83%91%E3%82%B9?q=a%20b"
        #expect(Hyperlink.safeURL("https://例え.jp/パス?q=a b") == encoded)
        // What could end the sequence or start another: ESC, BEL, C1 ST, a newline.
        let hostile = "https://a.cn/\u{1b}]8;;https://evil\u{07}\u{9c}\n\"<>`"
        let safe = try #require(Hyperlink.safeURL(hostile))
        #expect(safe == "https://a.cn/%1B]8;;https://evil%07%C2%9C%0A%22%3C%3E%60")
        #expect(safe.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value < 0x7F })
    }

    @Test func tooLongIsNotLinked() {
        let long = "https://a.cn/" + String(repeating: "x", count: Hyperlink.maximumLength)
        #expect(Hyperlink.safeURL(long) == nil)
    }
}
