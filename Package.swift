// swift-tools-version: 6.1
import PackageDescription

// Dependencies point one way: ChatTUI → ChatClient → ChatProtocol ← ChatServices ← servers;
// ChatServices ← SQLiteStores (the embedded database) ← ServerStack.
let package = Package(
    name: "wechat",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wechat-server", targets: ["wechat-server"]),
        .executable(name: "wechat", targets: ["wechat"]),
        .executable(name: "wechat-bench", targets: ["wechat-bench"]),
        .library(name: "ChatClient", targets: ["ChatClient"]),
        .library(name: "ServerStack", targets: ["ServerStack"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Wire schema (generated), framing, limits and the error codes shared by TCP and HTTP.
        .target(
            name: "ChatProtocol",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // The generated messages keep their fields in a class, so every field access is a
            // dynamic exclusivity check (≈ 8 % of the server's CPU in `saturate`, from perf:
            // swift_beginAccess, AccessSet::insert and their thread-local lookups). That code is
            // generated and never overlaps its accesses, and the module's few hand-written files
            // (limits, text rules, framing) hold no class or global state to overlap on; release
            // builds of this module skip the checks (debug builds, and so the tests, keep them).
            // (unsafeFlags: fine for an application, which no package depends on.)
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        // Service and store protocols and the in-process services. No database in here: a store
        // is a protocol, so a service split out of the process swaps its stores, not its code.
        .target(
            name: "ChatServices",
            dependencies: [
                "ChatProtocol",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The stores on one SQLite file (GRDB): the embedded mode's database.
        .target(
            name: "SQLiteStores",
            dependencies: [
                "ChatServices", "ChatProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the commit path's statements (RawStatement).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The stores on PostgreSQL, for a cluster: what must last, shared by every process.
        .target(
            name: "PostgresStores",
            dependencies: [
                "ChatServices", "ChatProtocol",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A small RESP (Redis) client on SwiftNIO: none is in the package mirror (see its doc comment).
        .target(
            name: "RedisClient",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Services on Redis for a cluster: codes, rate limits, the chat-node registry and presence.
        .target(
            name: "RedisServices",
            dependencies: [
                "ChatServices", "ChatProtocol", "RedisClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The services across processes: gRPC clients that implement the service protocols, and
        // gRPC services that serve any implementation of them (generated code from Protos/cluster).
        .target(
            name: "ClusterRPC",
            dependencies: [
                "ChatServices", "ChatProtocol", "ChatServer",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Verification mail through an SMTP server (STARTTLS or TLS, AUTH), for real deployments.
        .target(
            name: "SMTPMail",
            dependencies: [
                "ChatServices",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP JSON API in front of the services.
        .target(
            name: "GateServer",
            dependencies: [
                "ChatServices",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Long-lived TCP sessions speaking the framed protobuf protocol.
        .target(
            name: "ChatServer",
            dependencies: [
                "ChatServices",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Every service wired together in one process: what `wechat-server` and `wechat --serve` run.
        .target(
            name: "ServerStack",
            dependencies: [
                "ChatServices", "SQLiteStores", "GateServer", "ChatServer", "SMTPMail",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The client core the terminal client sits on.
        .target(
            name: "ChatClient",
            dependencies: [
                "ChatProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The terminal app: state, actions, views rendering into a cell grid, themes, key bindings.
        // Plain Swift: no curses here, so every screen is testable in memory.
        .target(
            name: "ChatTUI",
            dependencies: ["ChatClient", "ChatProtocol", "CWideChar"]
        ),
        // wcwidth, which Glibc's Swift overlay does not export.
        .target(name: "CWideChar"),
        // ncurses (wide-character build) from Debian's libncurses-dev.
        .systemLibrary(
            name: "CNCursesW",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncurses-dev"])]
        ),
        // The one place that talks to curses: draws a Canvas, reads keys.
        .target(
            name: "CursesBackend",
            dependencies: ["CNCursesW", "ChatTUI"]
        ),
        .executableTarget(
            name: "wechat",
            dependencies: [
                "ChatTUI", "CursesBackend", "ChatClient", "ChatProtocol", "ChatServices", "ServerStack",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "wechat-server",
            dependencies: [
                "ServerStack", "ChatServices", "SQLiteStores", "ChatProtocol", "SMTPMail", "ClusterRPC",
                "RedisClient", "RedisServices", "PostgresStores", "GateServer", "ChatServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The load generator: simulated clients over real sockets against a real server.
        .executableTarget(
            name: "wechat-bench",
            dependencies: [
                "ChatClient", "ChatProtocol", "ChatServices",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The fuzz harnesses: a connection's bytes through the server's framing, decoding and
        // dispatch; and a hostile server's bytes through the client's connection, session and cache.
        .target(
            name: "ChatFuzzing",
            dependencies: [
                "ChatProtocol", "ChatServices", "SQLiteStores", "ChatServer", "ChatClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libFuzzer target (scripts/fuzz.sh builds it with --sanitize=fuzzer); otherwise a replayer.
        .executableTarget(name: "wechat-fuzz", dependencies: ["ChatFuzzing", "ChatProtocol"]),
        .executableTarget(name: "wechat-fuzz-client", dependencies: ["ChatFuzzing"]),
        // Micro-benchmarks: `swift package benchmark` (see README, Performance).
        .executableTarget(
            name: "WeChatBenchmarks",
            dependencies: [
                "ChatProtocol", "ChatServices", "SQLiteStores", "ChatClient", "ChatTUI",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/WeChatBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .testTarget(name: "ChatProtocolTests", dependencies: ["ChatProtocol"]),
        .testTarget(name: "ChatFuzzingTests", dependencies: ["ChatFuzzing"]),
        // Shared by the tests: temporary directories and a database on them, a test certificate,
        // captured logs, an SMTP sink, the status service's contract.
        .target(
            name: "StoreTestSupport",
            dependencies: [
                "ChatServices", "ChatProtocol", "SQLiteStores",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/StoreTestSupport"
        ),
        .testTarget(
            name: "ChatServicesTests",
            dependencies: [
                "ChatServices", "SQLiteStores", "StoreTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "SQLiteStoresTests",
            dependencies: [
                "SQLiteStores", "ChatServices", "StoreTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        .testTarget(
            name: "ChatServerTests",
            dependencies: [
                "ChatServer", "ChatServices", "SQLiteStores", "ChatProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "ChatClientTests", dependencies: ["ChatClient", "ChatProtocol"]),
        // Shared by the Redis tests: a real redis-server on a free loopback port.
        .target(
            name: "RedisTestSupport",
            dependencies: [
                "RedisClient", "StoreTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/RedisTestSupport"
        ),
        .testTarget(
            name: "RedisClientTests",
            dependencies: [
                "RedisClient", "RedisTestSupport", "StoreTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RedisServicesTests",
            dependencies: [
                "RedisServices", "RedisClient", "RedisTestSupport", "StoreTestSupport", "ChatServices", "ChatProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Shared by the PostgreSQL tests: a real server in a temporary directory, on a free port.
        .target(
            name: "PostgresTestSupport",
            dependencies: ["StoreTestSupport"],
            path: "Tests/PostgresTestSupport"
        ),
        .testTarget(
            name: "PostgresStoresTests",
            dependencies: [
                "PostgresStores", "PostgresTestSupport", "StoreTestSupport", "ChatServices", "ChatProtocol",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ClusterRPCTests",
            dependencies: [
                "ClusterRPC", "ChatServices", "ChatProtocol", "StoreTestSupport",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SMTPMailTests",
            dependencies: [
                "SMTPMail", "ChatServices", "StoreTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(name: "ChatTUITests", dependencies: ["ChatTUI", "ChatClient", "ChatProtocol"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "ServerStack", "GateServer", "ChatClient", "wechat-server", "wechat", "wechat-bench",
                "StoreTestSupport",
                "RedisTestSupport", "PostgresTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
