import ChatProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes files only their owner may read (mode 0600): a draft handed to an editor, an exported
/// conversation. Other people's messages are not for other accounts on the machine.
enum PrivateFile {
    /// Replaces `path` with `text`. The mode is 0600 from the moment the file exists (and is set
    /// again when it existed before with another one), so the text is never readable by others,
    /// not even for an instant. A symbolic link at `path` is refused, not followed.
    static func save(_ text: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else { throw failure("protect", path) }
        let bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + done, buffer.count - done)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("write", path)
            }
            done += count
        }
    }

    private static func failure(_ verb: String, _ path: String) -> ChatError {
        ChatError(.internalError, "Could not \(verb) \(path): \(String(cString: strerror(errno))).")
    }
}
