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
/// Without `-sanitize=fuzzer`, a replayer of inputs (see `FuzzReplay`).
@main
struct ClientFuzzReplay {
    static func main() throws {
        try FuzzReplay.main(
            seedCorpus: "Fuzz/client-corpus",
            writeSeeds: ClientSeedCorpus.write(to:),
            replay: { ClientFuzzHarness.shared.run(Array($0)).connected ? 1 : 0 },
            summary: { files, connected in
                ClientFuzzHarness.shared.remove()
                return "replayed \(files) inputs, \(connected) got the session connected, no crash"
            }
        )
    }
}
#endif
