import Testing

@testable import ChatTUI

/// Key names are what help shows and what `[keys]` in config.toml is written in: every name help
/// shows must read back as its key, and a name that is no key must be refused, not guessed.
@Suite struct KeyNameTests {
    @Test func everyBoundKeyReadsBackFromItsName() {
        let keys =
            KeyBindings.standard.bindings.flatMap { $0.keys + ($0.prefix.map { [$0] } ?? []) }
            + LineEditor.bindings.flatMap(\.keys)
        for key in keys {
            #expect(Key(name: key.name) == key, "\(key.name)")
        }
        for key: Key in [.control(" "), .alt(" "), .alt("1"), .alt("."), .function(12), .character(" ")] {
            #expect(Key(name: key.name) == key, "\(key.name)")
        }
    }

    @Test(
        arguments: [
            ("ctrl-n", Key.control("n")), ("CTRL-N", .control("n")), ("Alt-a", .alt("a")), ("alt-A", .alt("a")),
            ("Alt-9", .alt("9")), ("PageDown", .pageDown), ("pgup", .pageUp), ("Up", .up), ("Escape", .escape),
            ("Delete", .delete), ("Return", .enter), ("space", .character(" ")), ("f5", .function(5)),
            ("Q", .character("Q")), ("q", .character("q")), ("你", .character("你")),
        ]
    )
    func spellingsPeopleReachFor(name: String, key: Key) {
        #expect(Key(name: name) == key)
    }

    @Test(arguments: [
        "", "Ctl-N", "Ctrl-", "Ctrl-1", "Ctrl-NN", "Alt-", "Alt-Left", "F0", "F64", "F1x", "paste",
        "resize", "Shift-A", "Ctrl-Alt-X", "ab", "\u{1}",
    ])
    func namesThatAreNoKey(name: String) {
        #expect(Key(name: name) == nil, "\(name)")
    }
}
