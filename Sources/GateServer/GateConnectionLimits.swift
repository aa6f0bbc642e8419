/// How many HTTP connections the gate holds, and for how long.
///
/// Without these, idle sockets were never closed, and one client holding 19,990 of them used up
/// the process's file descriptors: everyone else's sign-ins and chat Hellos failed until it let
/// go. Now an idle connection (or one whose request head never completes: a slow-header client)
/// is closed after `idleTimeoutSeconds`; past `maxConnections` the gate stops accepting (new
/// clients wait in the listen backlog, holding no descriptor of ours); and one address may hold
/// only `maxConnectionsPerAddress`, further ones being closed at once and logged.
public struct GateConnectionLimits: Sendable {
    public var idleTimeoutSeconds: Int64 = 15
    public var maxConnections = 2_048
    public var maxConnectionsPerAddress = 64

    public init() {}

    /// For tests that want short timeouts.
    public init(idleTimeoutSeconds: Int64, maxConnections: Int = 2_048, maxConnectionsPerAddress: Int = 64) {
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
        self.maxConnectionsPerAddress = maxConnectionsPerAddress
    }
}
