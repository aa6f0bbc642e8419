import Benchmark
import ChatClient
import ChatProtocol
import ChatServices
import ChatTUI
import Foundation
import Logging
import NIOCore
import SQLiteStores

/// Micro-benchmarks of the paths every message takes: `swift package benchmark` (release build).
/// The load generator (`wechat-bench`) measures the whole system; these isolate its parts.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .instructions],
        warmupIterations: 3,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    // MARK: Frames

    let message = WireBenchmarks.sendMessage(textBytes: 64)
    Benchmark("Frame encode (SendMessage, 64-byte text)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try message.framed())
        }
    }
    let framed = try! message.framed()
    Benchmark("Frame decode (SendMessage, 64-byte text)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            var buffer = framed
            let frame = try FrameDecoder.nextFrame(from: &buffer, maxFrameBytes: ProtocolLimits.maxFrameBytes)!
            blackHole(try WireEnvelope.decode(frame: frame))
        }
    }

    // MARK: Commit

    // 256 messages from 16 senders submitted at once: what group commit turns into few transactions.
    // The one-to-one and group-chat benchmarks below differ only in where the messages go, so
    // their times compare (the target: a group message costs at most twice a one-to-one).
    Benchmark(
        "Message commit, one-to-one, 256 concurrent (batched, fsync)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            scalingFactor: .one,
            maxDuration: .seconds(5)
        )
    ) { benchmark, store in
        let batch = 256
        for _ in benchmark.scaledIterations {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<batch {
                    let pair = store.pairs[i % store.pairs.count]
                    group.addTask {
                        _ = try await store.messages.commit(
                            NewMessage(
                                senderID: pair.0,
                                recipientID: pair.1,
                                clientMessageID: UUID().uuidString,
                                text: "benchmark message of sixty-four bytes, give or take a few ok",
                                sentAtMs: 1
                            )
                        )
                    }
                }
                try await group.waitForAll()
            }
        }
    } setup: {
        try await CommitFixture.make()
    }

    // The same, all 256 to one group of 500 (16 of its members sending): stored once, whatever
    // the group's size.
    Benchmark(
        "Message commit, 500-member group, 256 concurrent (batched, fsync)",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            scalingFactor: .one,
            maxDuration: .seconds(5)
        )
    ) { benchmark, store in
        let batch = 256
        for _ in benchmark.scaledIterations {
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for i in 0..<batch {
                    let sender = store.senders[i % store.senders.count]
                    tasks.addTask {
                        var message = NewMessage(
                            senderID: sender,
                            recipientID: 0,
                            clientMessageID: UUID().uuidString,
                            text: "benchmark message of sixty-four bytes, give or take a few ok",
                            sentAtMs: 1
                        )
                        message.groupID = store.group
                        _ = try await store.messages.commit(message)
                    }
                }
                try await tasks.waitForAll()
            }
        }
    } setup: {
        try await GroupCommitFixture.make()
    }

    // MARK: Client

    Benchmark("Render 200×60 chat screen (CJK + emoji)", configuration: .init(scalingFactor: .one)) {
        benchmark,
        state in
        for _ in benchmark.scaledIterations {
            blackHole(AppView.render(state))
        }
    } setup: {
        RenderFixture.state(width: 200, height: 60)
    }

    Benchmark(
        "History page (50) from a 1,000,000-message cache",
        configuration: .init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            scalingFactor: .one,
            maxDuration: .seconds(5)
        )
    ) { benchmark, cache in
        for _ in benchmark.scaledIterations {
            let before = UInt64.random(in: 51...CacheFixture.messageCount)
            blackHole(try cache.history(peer: 2, beforeSeq: before, limit: 50))
        }
    } setup: {
        try CacheFixture.make()
    }
}

enum WireBenchmarks {
    static func sendMessage(textBytes: Int) -> WireEnvelope {
        var send = WireSendMessage()
        send.toUserID = 42
        send.clientMsgID = "0f8fad5b-d9cb-469f-a165-70867728950e"
        send.text = String(repeating: "x", count: textBytes)
        return .reply(to: 7, .sendMessage(send))
    }
}

/// A server database with 32 users in 16 friend pairs.
struct CommitFixture: Sendable {
    let messages: SQLiteMessageStore
    let pairs: [(UserID, UserID)]

    static func make() async throws -> CommitFixture {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "wechat-bench-commit-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let database = try SQLiteDatabase(path: directory + "/bench.sqlite", logger: logger)
        let users = SQLiteUserStore(database: database)
        let social = SQLiteSocialStore(database: database)
        var pairs: [(UserID, UserID)] = []
        for i in 0..<16 {
            let a = try await users.createUser(
                username: "a\(i)x",
                email: "a\(i)@example.com",
                passwordHash: "x",
                nowMs: 1
            )
            let b = try await users.createUser(
                username: "b\(i)x",
                email: "b\(i)@example.com",
                passwordHash: "x",
                nowMs: 1
            )
            try await social.makeFriends(a.id, b.id, nowMs: 1)
            pairs.append((a.id, b.id))
        }
        return CommitFixture(messages: SQLiteMessageStore(database: database), pairs: pairs)
    }
}

/// The main screen at a size, with a long conversation of mixed Chinese, English and emoji.
enum RenderFixture {
    static func state(width: Int, height: Int) -> AppState {
        DisplayWidth.useUTF8Locale()
        let alice = UserSummary(id: 1, username: "alice")
        let bob = UserSummary(id: 2, username: "bob")
        let texts = [
            "你好，爱丽丝！今天怎么样？🙂", "Good, thanks 👍 这个终端应用显示中文和表情符号都很正常。",
            "太好了！Let's test a long line that has to wrap around the edge of the chat pane 👨‍👩‍👧 家族 and keep going for a while.",
            "晚上一起吃饭吗？🍜🍣", "OK 👌",
        ]
        let base: Int64 = 1_795_000_000_000
        let messages = (1...200).map { i in
            ChatMessage(
                id: Int64(i),
                clientMessageID: "c\(i)",
                senderID: i % 2 == 0 ? alice.id : bob.id,
                recipientID: i % 2 == 0 ? bob.id : alice.id,
                seq: UInt64(i),
                text: texts[i % texts.count],
                sentAtMs: base + Int64(i) * 60_000
            )
        }
        var state = AppState(serverURL: "http://127.0.0.1:8888")
        state.width = width
        state.height = height
        state.now = Date(timeIntervalSince1970: Double(base) / 1000 + 200 * 60)
        state.screen = .main
        var chat = ChatState(me: alice)
        chat.connection = .connected(server: "127.0.0.1:8090")
        chat.friends = [bob.id: Friend(user: bob, online: true)]
        chat.conversations = [
            bob.id: Conversation(peerID: bob.id, lastMessage: messages.last, lastSeq: 200, readSeq: 190)
        ]
        state.chat = chat
        state.selectedPeer = bob.id
        var view = ConversationView()
        view.merge(messages)
        view.olderAvailable = false
        state.conversations[.direct(bob.id)] = view
        return state
    }
}

/// A client cache holding a million messages between alice (1) and bob (2), built once and kept
/// in the temporary directory between runs (building it takes a while).
enum CacheFixture {
    static let messageCount: UInt64 = 1_000_000

    static func make() throws -> MessageCache {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wechat-bench-cache-1m.sqlite").path
        let cache = try MessageCache(path: path)
        let have = try cache.history(peer: 2, limit: 1).first?.seq ?? 0
        guard have < messageCount else { return cache }
        let texts = ["你好，今天怎么样？🙂", "Good, thanks 👍", "晚上一起吃饭吗？🍜", "Let's meet at the station at seven.", "OK 👌"]
        var seq = have
        while seq < messageCount {
            let batch = (1...10_000).map { offset -> ChatMessage in
                let s = seq + UInt64(offset)
                return ChatMessage(
                    id: Int64(s),
                    clientMessageID: "c\(s)",
                    senderID: s % 2 == 0 ? 1 : 2,
                    recipientID: s % 2 == 0 ? 2 : 1,
                    seq: s,
                    text: texts[Int(s % 5)],
                    sentAtMs: 1_795_000_000_000 + Int64(s) * 1000
                )
            }
            try cache.apply(messages: batch, me: 1)
            seq += 10_000
        }
        return cache
    }
}
