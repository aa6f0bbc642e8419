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
/// Without `-sanitize=fuzzer`, a replayer of inputs (see `FuzzReplay`).
@main
struct FuzzReplayMain {
    static func main() throws {
        try FuzzReplay.main(
            seedCorpus: "Fuzz/corpus",
            writeSeeds: SeedCorpus.write(to:),
            replay: { bytes in bytes.withUnsafeBytes { ChatFuzzHarness.shared.run($0) } },
            summary: { files, requests in "replayed \(files) inputs, \(requests) requests dispatched, no crash" }
        )
    }
}
#endif
