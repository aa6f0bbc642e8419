import Hummingbird
import NIOCore

/// The request context of the gate: Hummingbird's basics plus the peer address, which rate
/// limits and log lines need.
public struct GateRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// No request to the gate needs more than a few hundred bytes.
    public var maxUploadSize: Int { GateServer.maxBodyBytes }
}
