import Foundation

/// What both fuzz executables are without `-sanitize=fuzzer`: `NAME FILE|DIR…` runs each file
/// through the harness (to reproduce a crash the fuzzer saved; no arguments: the seed corpus),
/// and `NAME --make-seeds DIR` writes the seed corpus.
public enum FuzzReplay {
    /// `replay` runs one input and returns what to count (requests dispatched, sessions
    /// connected); `summary` words the counts for the last line.
    public static func main(
        seedCorpus: String,
        writeSeeds: (String) throws -> Void,
        replay: (Data) -> Int,
        summary: (_ files: Int, _ counted: Int) -> String
    ) throws {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "--make-seeds", arguments.count == 2 {
            try writeSeeds(arguments[1])
            return
        }
        if arguments.isEmpty { arguments = [seedCorpus] }
        var files = 0
        var counted = 0
        for path in arguments {
            for file in SeedCorpus.files(at: path) {
                counted += replay(try Data(contentsOf: URL(fileURLWithPath: file)))
                files += 1
            }
        }
        print(summary(files, counted))
    }
}
