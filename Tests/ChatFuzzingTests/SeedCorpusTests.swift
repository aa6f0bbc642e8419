import ChatFuzzing
import Foundation
import Testing

/// The fuzzer's seed corpus, replayed through the harness on every test run: each seed still does
/// what it was made for, and the committed files match the schema.
@Suite struct SeedCorpusTests {
    static let corpusDirectory: String = {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/"
            && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path)
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("Fuzz/corpus").path
    }()

    @Test func everySeedRunsThroughTheHarness() throws {
        let harness = try ChatFuzzHarness()
        defer { harness.remove() }
        let seeds = SeedCorpus.inputs()
        var dispatched: [String: Int] = [:]
        for (name, bytes) in seeds {
            dispatched[name] = bytes.withUnsafeBytes { harness.run($0) }
        }
        #expect(dispatched["conversation"] == 5)
        #expect(dispatched["send-message"] == 1)
        #expect(dispatched["oversized-length"] == 0, "an oversized frame ends the connection")
        #expect(dispatched["truncated"] == 0)
        #expect(dispatched["garbage"] == 0)
        #expect(dispatched["invalid-utf8"] == 0, "invalid UTF-8 in a string field fails decoding")
    }

    @Test func theCommittedCorpusIsTheGeneratedOne() throws {
        for (name, bytes) in SeedCorpus.inputs() {
            let committed = try Data(contentsOf: URL(fileURLWithPath: Self.corpusDirectory + "/" + name))
            #expect(Array(committed) == bytes, "Fuzz/corpus/\(name) is stale: run wechat-fuzz --make-seeds Fuzz/corpus")
        }
    }
}
