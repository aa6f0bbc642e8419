import ChatProtocol
import Foundation
import Testing

@Suite("AppPaths")
struct AppPathsTests {
    private let home = ["HOME": "/home/ann"]

    /// The paths when only HOME is set: what most users get.
    private let fromHome = (
        config: "/home/ann/.config/wechat",
        data: "/home/ann/.local/share/wechat",
        state: "/home/ann/.local/state/wechat",
        cache: "/home/ann/.cache/wechat"
    )

    @Test func defaultsFromHome() {
        let paths = AppPaths(environment: home)
        #expect(paths.config == fromHome.config)
        #expect(paths.data == fromHome.data)
        #expect(paths.state == fromHome.state)
        #expect(paths.cache == fromHome.cache)
        #expect(paths.serverData == "/home/ann/.local/share/wechat/server")
    }

    @Test func xdgVariablesOverrideHome() {
        let paths = AppPaths(
            environment: home.merging(
                [
                    "XDG_CONFIG_HOME": "/xdg/config", "XDG_DATA_HOME": "/xdg/data",
                    "XDG_STATE_HOME": "/xdg/state", "XDG_CACHE_HOME": "/xdg/cache",
                ],
                uniquingKeysWith: { $1 }
            )
        )
        #expect(paths.config == "/xdg/config/wechat")
        #expect(paths.data == "/xdg/data/wechat")
        #expect(paths.state == "/xdg/state/wechat")
        #expect(paths.cache == "/xdg/cache/wechat")
        #expect(paths.serverData == "/xdg/data/wechat/server")
    }

    /// The XDG spec: a relative path in one of these variables is invalid and is ignored.
    @Test(arguments: ["relative", "./here", "~/config"])
    func relativeXDGValueIsIgnored(_ value: String) {
        let paths = AppPaths(
            environment: home.merging(
                ["XDG_CONFIG_HOME": value, "XDG_DATA_HOME": value, "XDG_STATE_HOME": value, "XDG_CACHE_HOME": value],
                uniquingKeysWith: { $1 }
            )
        )
        #expect(paths == AppPaths(environment: home))
    }

    /// The XDG spec: an empty variable counts as unset.
    @Test func emptyXDGValueIsIgnored() {
        let paths = AppPaths(
            environment: home.merging(
                ["XDG_CONFIG_HOME": "", "XDG_DATA_HOME": "", "XDG_STATE_HOME": "", "XDG_CACHE_HOME": ""],
                uniquingKeysWith: { $1 }
            )
        )
        #expect(paths == AppPaths(environment: home))
    }

    /// With no usable HOME the account's home directory is used, still under the same names.
    @Test(arguments: [[:], ["HOME": ""]] as [[String: String]])
    func withoutHomeFallsBackToTheAccountsHome(_ environment: [String: String]) {
        let paths = AppPaths(environment: environment)
        #expect(paths.config == (NSHomeDirectory() as NSString).appendingPathComponent(".config/wechat"))
        #expect(paths.data.hasSuffix("/.local/share/wechat"))
    }

    /// An XDG variable moves only its own directory.
    @Test func oneVariableMovesOneDirectory() {
        let paths = AppPaths(environment: home.merging(["XDG_STATE_HOME": "/var/tmp/state"], uniquingKeysWith: { $1 }))
        #expect(paths.state == "/var/tmp/state/wechat")
        #expect(paths.config == fromHome.config)
        #expect(paths.data == fromHome.data)
        #expect(paths.cache == fromHome.cache)
    }
}
