import ChatProtocol
import ChatServices
import Logging
import NIOCore
import Synchronization

/// Pushes a group's messages to its members online, in the order they committed.
///
/// A message is stored once; its pushes go to every current member who may see it (on whichever
/// chat servers they are), looked up when it is pushed: someone removed a moment earlier gets
/// nothing, nor does someone invited after it. The
/// lookup is a read, which must not run on the connection's event loop, so each push is a task;
/// the tasks of one group run one after another (each waits for the one before), so members see
/// a group's messages in seq order, and a device sees a gap only when a push was really lost.
final class GroupFanout: Sendable {
    private let groups: GroupStore
    private let router: any PushRouter
    private let logger: Logger
    /// The last push task of each group with one still running.
    private let tails = Mutex<[GroupID: (id: UInt64, task: Task<Void, Never>)]>([:])
    private let nextID = Atomic<UInt64>(0)

    init(groups: GroupStore, router: any PushRouter, logger: Logger) {
        self.groups = groups
        self.router = router
        self.logger = logger
    }

    /// `except`: the sender's connection, whose ack carries the message.
    func push(_ message: MessageRecord, except connection: ConnectionID?) {
        var push = WireMessagePush()
        push.message = WireChatMessage(message)
        guard let frame = try? WireEnvelope.push(.messagePush(push)).framed() else { return }
        send(frame, to: message.groupID, seeing: message.seq, except: connection)
    }

    /// Pushes `frame` to the group's current members who may see `seq` (not one who joined
    /// after it), after the group's earlier pushes.
    func send(_ frame: ByteBuffer, to group: GroupID, seeing seq: UInt64, except connection: ConnectionID?) {
        let id = nextID.wrappingAdd(1, ordering: .relaxed).newValue
        let groups = groups
        let router = router
        let logger = logger
        tails.withLock { tails in
            let previous = tails[group]?.task
            let task = Task {
                await previous?.value
                do {
                    for member in try await groups.memberIDs(of: group, seeing: seq) {
                        router.push(frame, to: member, except: connection)
                    }
                } catch {
                    // A push is a hint: members find the message by its seq when they next sync.
                    logger.warning("group push failed", metadata: ["group": "\(group)", "error": "\(error)"])
                }
                self.finished(id, of: group)
            }
            tails[group] = (id, task)
        }
    }

    private func finished(_ id: UInt64, of group: GroupID) {
        tails.withLock { tails in
            if tails[group]?.id == id { tails[group] = nil }
        }
    }
}
