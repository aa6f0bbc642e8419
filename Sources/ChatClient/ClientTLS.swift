import ChatProtocol
import NIOSSL

/// Which servers this client trusts when the gate URL is `https://` or a chat server says it
/// speaks TLS: the system's roots, plus the CA in `caFile` (`wechat --ca`), e.g. a private CA
/// or a self-signed certificate. Certificates are always verified, names and IP addresses too.
public struct ClientTLS: Sendable, Equatable {
    public var caFile: String?

    public init(caFile: String? = nil) {
        self.caFile = caFile
    }

    var configuration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.additionalTrustRoots = [.file(caFile)] }
        return configuration
    }

    /// The context chat connections use. Built once per session: it reads the CA file.
    func makeContext() throws -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ChatError(.badRequest, "The CA file \(caFile ?? "") cannot be read as PEM certificates.")
        }
    }

    /// A TLS failure in words, or nil if `error` is not one.
    static func describe(_ error: Error, server: String) -> ChatError? {
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return ChatError(.unavailable, "The certificate of \(server) is not for that name or address.")
        }
        guard let error = error as? NIOSSLError else { return nil }
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return ChatError(.unavailable, "The certificate of \(server) is not trusted. Pass its CA with --ca.")
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.lowercased().contains("eof") {
            return ChatError(.unavailable, "\(server) did not answer with TLS. Is it running without TLS (http://)?")
        }
        return ChatError(.unavailable, "The secure connection to \(server) failed: \(text)")
    }
}
