import Testing

@testable import ChatTUI

@Suite struct LinkDetectorTests {
    func urls(_ text: String) -> [String] {
        LinkDetector.find(in: text).map(\.url)
    }

    @Test func findsHTTPAndHTTPSLinksAndLeavesSentencePunctuationOut() {
        #expect(urls("see https://example.com/a?b=1&c=2#top.") == ["https://example.com/a?b=1&c=2#top"])
        #expect(urls("http://a.cn, and HTTPS://B.ORG/X!") == ["http://a.cn", "HTTPS://B.ORG/X"])
        #expect(urls("(see https://example.com/x)") == ["https://example.com/x"])
        #expect(urls("https://en.wikipedia.org/wiki/Tea_(drink)") == ["https://en.wikipedia.org/wiki/Tea_(drink)"])
        #expect(urls("<https://example.com>") == ["https://example.com"])
    }

    @Test func rangesAreGraphemeOffsets() {
        let found = LinkDetector.find(in: "你好 👍🏽 https://a.cn/x ok")
        #expect(found.map(\.range) == [5..<19])
    }

    @Test func chineseTextAroundALinkStaysOutAndAChinesePathStaysIn() {
        #expect(urls("看https://zh.wikipedia.org/wiki/微信，好吗？") == ["https://zh.wikipedia.org/wiki/微信"])
        #expect(urls("链接：https://a.cn/x 👍") == ["https://a.cn/x"])
        #expect(urls("https://a.cn/x👍") == ["https://a.cn/x"])
    }

    @Test func onlyWebLinksAreLinks() {
        #expect(urls("ftp://example.com file:///etc/passwd javascript:alert(1)").isEmpty)
        #expect(urls("xhttps://example.com").isEmpty)
        #expect(urls("https:// nothing, https://.. either, http:/one-slash.com").isEmpty)
        #expect(urls("no links here").isEmpty)
    }
}
