import ChatFuzzing
import ChatProtocol
import Foundation

/// libFuzzer's entry point: one input is the bytes a client sent on one connection.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    ChatFuzzHarness.shared.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

#if !FUZZING
/// Without `-sanitize=fuzzer` (`scripts/fuzz.sh` builds with it), this binary replays inputs:
/// `wechat-fuzz FILE|DIR…` runs each file through the harness (to reproduce a crash the fuzzer
/// saved), and `wechat-fuzz --make-seeds DIR` writes the seed corpus.
@main
struct FuzzReplay {
    static func main() throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--make-seeds", arguments.count == 2 {
            try SeedCorpus.write(to: arguments[1])
            return
        }
        if arguments.isEmpty { arguments = ["Fuzz/corpus"] }
        var files = 0
        var requests = 0
        for path in arguments {
            for file in SeedCorpus.files(at: path) {
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                requests += bytes.withUnsafeBytes { ChatFuzzHarness.shared.run($0) }
                files += 1
            }
        }
        print("replayed \(files) inputs, \(requests) requests dispatched, no crash")
    }
}
#endif
