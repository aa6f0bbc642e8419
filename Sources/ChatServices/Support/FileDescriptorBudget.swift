import Foundation
import Logging

/// Shares the process's file descriptors between the chat servers' connections and the gate's,
/// with some kept back for everything else (the database's files and WAL, log files, outgoing
/// mail, the moment of accepting a chat Hello).
///
/// Without a budget, a flood of one kind of connection took every descriptor and the others
/// failed with EMFILE: idle gate sockets once stopped every chat Hello. With one, each kind is
/// capped at its share and the rest stay free.
public enum FileDescriptorBudget {
    /// Descriptors never handed to connections.
    public static let reserve = 256

    /// Raises this process's soft open-file limit to its hard limit (children inherit it), and
    /// returns the limit now in force.
    public static func raiseLimit() -> Int {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        return Int(min(limit.rlim_cur, rlim_t(Int32.max)))
    }

    /// The caps that fit `limit`: the ones asked for when they fit; otherwise the gate gets at
    /// most an eighth and the chat servers share the rest, each at least one connection.
    public static func fit(
        chatPerServer: Int,
        chatServers: Int,
        gate: Int,
        limit: Int
    ) -> (chatPerServer: Int, gate: Int) {
        let available = max(0, limit - reserve)
        guard chatPerServer * chatServers + gate > available else { return (chatPerServer, gate) }
        let fittedGate = max(1, min(gate, available / 8))
        let fittedChat = max(1, min(chatPerServer, (available - fittedGate) / max(1, chatServers)))
        return (fittedChat, fittedGate)
    }
}
