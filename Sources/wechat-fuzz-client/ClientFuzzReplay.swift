import ChatFuzzing
import Foundation

/// libFuzzer's entry point: one input is what a hostile chat server sends the client (its first
/// byte the harness's mode; see `ClientFuzzHarness`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    ClientFuzzHarness.shared.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

#if !FUZZING
/// Without `-sanitize=fuzzer` (`scripts/fuzz.sh` builds with it), this binary replays inputs:
/// `wechat-fuzz-client FILE|DIR…` runs each file through the harness (to reproduce a crash the
/// fuzzer saved), and `wechat-fuzz-client --make-seeds DIR` writes the seed corpus.
@main
struct ClientFuzzReplay {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--make-seeds", arguments.count == 2 {
            try ClientSeedCorpus.write(to: arguments[1])
            return
        }
        if arguments.isEmpty { arguments = ["Fuzz/client-corpus"] }
        var files = 0
        var connected = 0
        for path in arguments {
            for file in SeedCorpus.files(at: path) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                let outcome = ClientFuzzHarness.shared.run(Array(bytes))
                if outcome.connected { connected += 1 }
                files += 1
            }
        }
        ClientFuzzHarness.shared.remove()
        print("replayed \(files) inputs, \(connected) got the session connected, no crash")
    }
}
#endif
