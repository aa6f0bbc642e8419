/// File names the client derives from what a server says: its host, the username it returns.
///
/// A server is not trusted, so every such name goes through here, the one place that decides
/// what may reach the file system. A plain name (`alice`, `127.0.0.1`) is kept as it is, so
/// people can find their files; anything else (`../../etc`, a slash, a NUL, a name of dots, a
/// 10 KB name, letters outside ASCII) becomes ASCII letters, digits and `_.-`, never starting with
/// a dot, at most 80 bytes, with a hash of the original appended so two different remote names
/// never share a file.
public enum SafeFileName {
    static let maxPlainBytes = 63

    public static func from(_ remote: String) -> String {
        let isPlain =
            !remote.isEmpty && remote.utf8.count <= maxPlainBytes && !remote.hasPrefix(".")
            && remote.unicodeScalars.allSatisfy(isAllowed)
        if isPlain { return remote }
        let kept = remote.unicodeScalars.prefix(48).map { isAllowed($0) ? Character($0) : "_" }
        let readable = String(kept).drop { $0 == "." }
        return "_" + readable + "-" + fingerprint(remote)
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-": true
        default: false
        }
    }

    /// FNV-1a over the UTF-8 bytes, in hex: stable across runs and machines (Swift's `hashValue`
    /// is seeded per process, so it would name a different file every start).
    private static func fingerprint(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
