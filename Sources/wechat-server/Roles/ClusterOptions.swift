import ArgumentParser
import ChatServices
import ClusterRPC
import Foundation
import Logging

/// What every role of a cluster is told: where it listens and where the processes and stores it
/// uses are. Each flag falls back to an environment variable, for deployments that configure by
/// environment; a flag wins over its variable.
struct ClusterOptions: ParsableArguments {
    @Option(help: "HOST:PORT this role listens on (env WECHAT_LISTEN).")
    var listen: String?

    @Option(help: "redis://HOST:PORT of the Redis server (env WECHAT_REDIS).")
    var redis: String?

    @Option(help: "postgres://USER[:PASSWORD]@HOST:PORT/DATABASE (env WECHAT_POSTGRES).")
    var postgres: String?

    @Option(help: "HOST:PORT of the status service (env WECHAT_STATUS).")
    var status: String?

    @Option(help: "HOST:PORT of the verify service (env WECHAT_VERIFY).")
    var verify: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("Unknown log level '\(logLevel)'.") }
    }

    func listenEndpoint(default defaultEndpoint: String) throws -> ServiceEndpoint {
        try endpoint(listen ?? environment["WECHAT_LISTEN"] ?? defaultEndpoint, flag: "--listen")
    }

    /// A required `HOST:PORT` setting: the flag, else its variable, else a sentence saying so.
    func required(_ value: String?, flag: String, variable: String, what: String) throws -> ServiceEndpoint {
        guard let text = value ?? environment[variable], !text.isEmpty else {
            throw ValidationError("This role needs \(what): give \(flag) HOST:PORT or set \(variable).")
        }
        return try endpoint(text, flag: flag)
    }

    func statusEndpoint() throws -> ServiceEndpoint {
        try required(status, flag: "--status", variable: "WECHAT_STATUS", what: "the status service")
    }

    func verifyEndpoint() throws -> ServiceEndpoint {
        try required(verify, flag: "--verify", variable: "WECHAT_VERIFY", what: "the verify service")
    }

    func redisEndpoint() throws -> ServiceEndpoint {
        guard let text = redis ?? environment["WECHAT_REDIS"], !text.isEmpty else {
            throw ValidationError("This role needs Redis: give --redis redis://HOST:PORT or set WECHAT_REDIS.")
        }
        return try endpoint(String(text.trimmingPrefix("redis://")), flag: "--redis")
    }

    func postgresSettings() throws -> PostgresSettings {
        guard let text = postgres ?? environment["WECHAT_POSTGRES"], !text.isEmpty else {
            throw ValidationError(
                "This role needs PostgreSQL: give --postgres postgres://USER@HOST:PORT/DATABASE or set WECHAT_POSTGRES."
            )
        }
        guard let settings = PostgresSettings(url: text) else {
            throw ValidationError("--postgres takes postgres://USER[:PASSWORD]@HOST:PORT/DATABASE, not '\(text)'.")
        }
        return settings
    }

    func bootstrapLogging() -> Logger {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in EscapingLogHandler.standardError(label: label, level: level) }
        return Logger(label: "wechat-server")
    }

    private func endpoint(_ text: String, flag: String) throws -> ServiceEndpoint {
        guard let endpoint = ServiceEndpoint(text) else {
            throw ValidationError("\(flag) takes HOST:PORT, not '\(text)'.")
        }
        return endpoint
    }
}

/// Where PostgreSQL is, from a `postgres://` URL.
struct PostgresSettings: CustomStringConvertible {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String

    init?(url: String) {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty, let username = components.user, !username.isEmpty
        else { return nil }
        self.host = host
        port = components.port ?? 5432
        self.username = username
        password = components.password
        let path = components.path.trimmingPrefix("/")
        database = path.isEmpty ? username : String(path)
    }

    /// The URL without its password, for logs and readiness lines.
    var description: String { "postgres://\(username)@\(host):\(port)/\(database)" }
}
