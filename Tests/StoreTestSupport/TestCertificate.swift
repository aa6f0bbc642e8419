import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A self-signed certificate for 127.0.0.1 and localhost, valid for a day, made with openssl:
/// what the TLS tests (gate, chat connection, SMTP) trust through their own trust roots.
public enum TestCertificate {
    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Writes `cert.pem` and `key.pem` into `directory` and returns their paths.
    public static func make(in directory: String) throws -> (cert: String, key: String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let cert = directory + "/cert.pem"
        let key = directory + "/key.pem"
        let arguments = [
            "/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,digitalSignature,keyCertSign",
            "-addext", "extendedKeyUsage=serverAuth",
        ]
        // posix_spawn and waitpid, not Foundation's Process: see RedisServer for why.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, directory + "/openssl.out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, directory + "/openssl.err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, arguments[0], &actions, nil, argv, environ) == 0 else {
            throw Failed(description: "could not run openssl")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        guard status == 0 else {
            let errors = (try? String(contentsOfFile: directory + "/openssl.err", encoding: .utf8)) ?? ""
            throw Failed(description: "openssl failed: \(errors)")
        }
        return (cert, key)
    }
}
