import ChatProtocol
import ChatServices
import Foundation
import Hummingbird
import Testing

@testable import GateServer

/// docs/gate-openapi.yaml, the contract scripts/gate-contract.sh fuzzes the gate against, stays
/// the gate's: every route the gate registers is in it with the same method and path, it lists no
/// route the gate does not have, and the error codes it names are real ones, each under the HTTP
/// status the gate gives it.
@Suite struct GateOpenAPIContractTests {
    static let specURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Tests/EndToEndTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // the package
        .appendingPathComponent("docs/gate-openapi.yaml")

    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    @Test func theSpecListsExactlyTheRoutesTheGateRegisters() throws {
        let router = Router(context: GateRequestContext.self)
        GateRoutes(accounts: NoAccounts()).register(on: router)
        let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = try Self.documentedRoutes()

        #expect(registered.count >= 8, "\(registered.sorted())")
        #expect(
            registered.subtracting(documented).isEmpty,
            "registered but not in docs/gate-openapi.yaml: \(registered.subtracting(documented).sorted())"
        )
        #expect(
            documented.subtracting(registered).isEmpty,
            "in docs/gate-openapi.yaml but not registered: \(documented.subtracting(registered).sorted())"
        )
    }

    @Test func theSpecsErrorCodesAreRealAndUnderTheirStatus() throws {
        let mentions = try Self.documentedErrorCodes()
        #expect(mentions.count >= 10, "\(mentions)")
        for mention in mentions {
            let code = ErrorCode(rawValue: mention.code)
            #expect(code != nil, "docs/gate-openapi.yaml line \(mention.line): no error code '\(mention.code)'")
            if let code, let status = mention.status {
                #expect(
                    code.httpStatus == status,
                    "docs/gate-openapi.yaml line \(mention.line): '\(mention.code)' under \(status), the gate sends \(code.httpStatus)"
                )
            }
        }
    }

    /// "METHOD /path" for each operation under `paths:`. A line-based reading of the file as it is
    /// written (paths indented two spaces, methods four), not a general YAML parser.
    static func documentedRoutes() throws -> Set<String> {
        var routes = Set<String>()
        var inPaths = false
        var path: String?
        for line in try specLines() {
            let text = line.text.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            if line.indent == 0 {
                inPaths = text == "paths:"
                path = nil
            } else if inPaths, line.indent == 2, text.hasSuffix(":") {
                path = String(text.dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            } else if inPaths, line.indent == 4, text.hasSuffix(":"), let path {
                let key = String(text.dropLast())
                if httpMethods.contains(key) { routes.insert("\(key.uppercased()) \(path)") }
            }
        }
        return routes
    }

    struct ErrorCodeMention {
        var code: String
        /// The status of the response it is listed under; nil in a shared component.
        var status: Int?
        var line: Int
    }

    /// Each value of an `enum: [...]` that follows a `code:` key, with the `"NNN":` response it
    /// sits in when there is one.
    static func documentedErrorCodes() throws -> [ErrorCodeMention] {
        var mentions: [ErrorCodeMention] = []
        var status: (code: Int, indent: Int)?
        var afterCodeKey = false
        for line in try specLines() {
            let text = line.text.trimmingCharacters(in: .whitespaces)
            if text.isEmpty || text.hasPrefix("#") { continue }
            if let current = status, line.indent <= current.indent { status = nil }
            if let code = statusKey(text) { status = (code, line.indent) }
            if afterCodeKey, text.hasPrefix("enum: ["), text.hasSuffix("]") {
                for value in text.dropFirst("enum: [".count).dropLast().split(separator: ",") {
                    let code = value.trimmingCharacters(in: CharacterSet(charactersIn: " \"'"))
                    mentions.append(ErrorCodeMention(code: code, status: status?.code, line: line.number))
                }
            }
            afterCodeKey = text == "code:"
        }
        return mentions
    }

    /// 404 for the line `"404":`.
    static func statusKey(_ text: String) -> Int? {
        guard text.count == 6, text.hasPrefix("\""), text.hasSuffix("\":") else { return nil }
        return Int(text.dropFirst().prefix(3))
    }

    static func specLines() throws -> [(number: Int, indent: Int, text: String)] {
        let spec = try String(contentsOf: specURL, encoding: .utf8)
        return spec.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map { numbered in
            let line = numbered.element
            return (number: numbered.offset + 1, indent: line.prefix { $0 == " " }.count, text: String(line))
        }
    }
}

/// The routes are only registered, never called.
private struct NoAccounts: AccountService {
    func sendCode(email: String, purpose: CodePurpose, client: String) async throws {
        throw ChatError.internalError()
    }

    func register(username: String, email: String, password: String, code: String) async throws -> Int64 {
        throw ChatError.internalError()
    }

    func signIn(account: String, password: String, client: String) async throws -> SignedIn {
        throw ChatError.internalError()
    }

    func signOut(token: String) async throws {
        throw ChatError.internalError()
    }

    func resetPassword(email: String, code: String, newPassword: String) async throws {
        throw ChatError.internalError()
    }

    func chatServer(forToken token: String, client: String) async throws -> (user: Int64, chatServer: ChatServerInfo) {
        throw ChatError.internalError()
    }

    func usernameAvailability(_ username: String, client: String) async throws -> UsernameAvailability {
        throw ChatError.internalError()
    }
}
