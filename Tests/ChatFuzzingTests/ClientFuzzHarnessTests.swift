import ChatFuzzing
import Foundation
import Testing

/// The client against a hostile server: the client fuzzer's seeds replayed through its harness on
/// every test run (each checked by the harness for crashes, hangs, leaks and files outside the data
/// directory), and the cases the issue names. Each test has a harness of its own, with a long quiet
/// period, so that a busy machine does not change what the seeds reach.
@Suite(.serialized) struct ClientFuzzHarnessTests {
    static let corpusDirectory: String = {
        var directory = URL(fileURLWithPath: #filePath)
        while directory.path != "/"
            && !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path)
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("Fuzz/client-corpus").path
    }()

    static func seed(_ name: String) throws -> [UInt8] {
        try #require(ClientSeedCorpus.inputs()[name], "no seed named \(name)")
    }

    @Test func everyClientSeedRunsThroughTheHarness() async throws {
        let harness = try ClientFuzzHarness(quietPeriod: .seconds(2), patience: 6)
        defer { harness.remove() }
        var outcomes: [String: ClientFuzzHarness.Outcome] = [:]
        for (name, bytes) in ClientSeedCorpus.inputs().sorted(by: { $0.key < $1.key }) {
            outcomes[name] = await harness.runOnItsOwnThread(bytes)
        }
        #expect(outcomes["catch-up"]?.connected == true)
        #expect(outcomes["catch-up"]?.remoteNames.contains("dave") == true, "a requester's name is in the state")
        #expect(outcomes["pushes"]?.messageSenders.contains(3) == true, "carol's messages past the gap were fetched")
        #expect((outcomes["pushes"]?.highestRequestID ?? 0) >= 9, "the update log's gap was pulled")
        #expect(
            (outcomes["history"]?.highestRequestID ?? 0) >= 9,
            "the conversation's newest page, the history page and the read mark were asked for"
        )
        #expect(outcomes["invalid-token"]?.signedOut == true)
        #expect(outcomes["hello-refused"]?.signedOut == true)
        for name in ["garbage", "truncated", "invalid-utf8", "wrong-answer-to-hello", "empty"] {
            #expect(outcomes[name]?.connected == false, "\(name)")
        }
        #expect(harness.strayFiles().isEmpty)
    }

    @Test func aMessageFromAUserNamedLikeAPathWritesNothingOutsideTheDataDirectory() async throws {
        let harness = try ClientFuzzHarness(quietPeriod: .seconds(2), patience: 6)
        defer { harness.remove() }
        let hostile = try Self.seed("hostile-names")
        let outcome = await harness.runOnItsOwnThread(hostile)
        #expect(outcome.connected)
        #expect(outcome.messageSenders.contains(ClientSeedCorpus.hostileUserID), "the message was applied")
        // The harness made a file of each of these names, inside the data directory.
        for name in ["../../../etc/evil", "/etc/passwd", "..", "~/.ssh/authorized_keys"] {
            #expect(outcome.remoteNames.contains(name), "\(name)")
        }
        #expect(harness.strayFiles().isEmpty)
        for escape in ["/../../../etc/evil", "/../etc/evil", "/../../../../etc/evil"] {
            #expect(!FileManager.default.fileExists(atPath: harness.dataDirectory + escape))
        }

        // The same name as the signed-in user's own.
        let hostileSelf = try Self.seed("hostile-self")
        let me = await harness.runOnItsOwnThread(hostileSelf)
        #expect(me.remoteNames.contains("../../../etc/evil"))
        #expect(harness.strayFiles().isEmpty)
    }

    @Test func aSequenceNumberOf2To64Minus1DoesNotTrap() async throws {
        let harness = try ClientFuzzHarness(quietPeriod: .seconds(2), patience: 6)
        defer { harness.remove() }
        let seqMax = try Self.seed("seq-max")
        let outcome = await harness.runOnItsOwnThread(seqMax)
        #expect(outcome.connected)
        #expect(outcome.messageSenders.contains(2), "bob's message at the largest seq a cache holds was shown")
        #expect(outcome.highestRequestID >= 9, "the update id 2^64-1 made the client pull")
    }

    @Test func aFrameAnnouncedOverTheLimitClosesTheConnectionInsteadOfBeingBuffered() async throws {
        let harness = try ClientFuzzHarness(quietPeriod: .seconds(2), patience: 6)
        defer { harness.remove() }
        for name in ["oversized-length", "over-limit-by-one"] {
            // The harness keeps its side open: only the client can end the connection.
            let bytes = try Self.seed(name)
            let outcome = await harness.runOnItsOwnThread(bytes, holdOpen: .seconds(10))
            #expect(outcome.clientClosedFirst, "\(name): the client closed the connection at the length")
            #expect(
                outcome.closeReason?.contains("over the limit") == true,
                "\(name): \(outcome.closeReason ?? "no reason given")"
            )
            #expect(outcome.dataBytes < 1 << 20)
        }
    }

    @Test func theCommittedClientCorpusIsTheGeneratedOne() throws {
        for (name, bytes) in ClientSeedCorpus.inputs() {
            let committed = try Data(contentsOf: URL(fileURLWithPath: Self.corpusDirectory + "/" + name))
            #expect(
                Array(committed) == bytes,
                "Fuzz/client-corpus/\(name) is stale: run wechat-fuzz-client --make-seeds Fuzz/client-corpus"
            )
        }
    }
}
