import ChatProtocol
import Foundation
import Hummingbird
import NIOCore

/// Turns every failure into `{"error": {"code", "message"}}` with a fitting status, whatever threw
/// it: our services (`ChatError`), the router (unknown route), the body limit, or a bug.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Each route's path (normalised as `normalised(_:)` does) and the methods it has: a known
    /// path asked with another method is 405 with `Allow`, not 404.
    let methodsByPath: [String: [String]]

    static func methodsByPath(_ routes: [(path: String, method: String)]) -> [String: [String]] {
        Dictionary(grouping: routes) { normalised($0.path) }.mapValues { $0.map(\.method).sorted() }
    }

    /// A path without empty segments (as the router reads it: `/api/v1/health/` is the health route).
    static func normalised(_ path: String) -> String {
        "/" + path.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
    }

    /// The methods of the route at `path`: a route's `{parameter}` segment stands for any one
    /// segment (`/api/v1/usernames/zoe` is `/api/v1/usernames/{name}`), a literal route first.
    func allowedMethods(for path: String) -> [String]? {
        let path = Self.normalised(path)
        if let methods = methodsByPath[path] { return methods }
        let segments = path.split(separator: "/")
        return methodsByPath.first { route, _ in
            let parts = route.split(separator: "/")
            return parts.count == segments.count
                && zip(parts, segments).allSatisfy { part, segment in
                    part == segment || (part.hasPrefix("{") && part.hasSuffix("}"))
                }
        }?.value
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ChatError {
            if error.code == .internalError {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)"])
            } else {
                context.logger.info(
                    "request refused",
                    metadata: ["path": "\(request.uri.path)", "code": "\(error.code.rawValue)"]
                )
            }
            return Self.response(error)
        } catch is NIOTooManyBytesError {
            context.logger.info("request refused: body too large", metadata: ["path": "\(request.uri.path)"])
            return Self.response(
                ChatError(.payloadTooLarge, "The request body is larger than \(GateServer.maxBodyBytes) bytes.")
            )
        } catch let error as HTTPError {
            let chatError: ChatError
            switch error.status {
            // A route's own not-found (its method was right) stays a 404.
            case .notFound
            where allowedMethods(for: request.uri.path).map { !$0.contains(request.method.rawValue) } ?? false:
                let allowed = allowedMethods(for: request.uri.path) ?? []
                var headers = HTTPFields()
                headers[.allow] = allowed.joined(separator: ", ")
                chatError = ChatError(
                    .methodNotAllowed,
                    "\(request.method.rawValue) is not allowed on \(request.uri.path); it takes \(allowed.joined(separator: " or "))."
                )
                context.logger.info(
                    "request refused",
                    metadata: ["path": "\(request.uri.path)", "code": "\(chatError.code.rawValue)"]
                )
                return Self.response(chatError, status: .methodNotAllowed, extraHeaders: headers)
            case .notFound:
                chatError = ChatError(
                    .notFound,
                    "There is no \(request.method.rawValue) \(request.uri.path) in this API."
                )
            case .methodNotAllowed:
                chatError = ChatError(
                    .methodNotAllowed,
                    "\(request.method.rawValue) is not allowed on \(request.uri.path)."
                )
            case .contentTooLarge:
                chatError = ChatError(
                    .payloadTooLarge,
                    "The request body is larger than \(GateServer.maxBodyBytes) bytes."
                )
            default:
                chatError = ChatError(
                    error.status.code >= 500 ? .internalError : .badRequest,
                    error.body ?? error.status.reasonPhrase
                )
            }
            context.logger.info(
                "request refused",
                metadata: ["path": "\(request.uri.path)", "code": "\(chatError.code.rawValue)"]
            )
            return Self.response(chatError, status: .init(code: error.status.code))
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return Self.response(.internalError())
        }
    }

    static func response(
        _ error: ChatError,
        status: HTTPResponse.Status? = nil,
        extraHeaders: HTTPFields = [:]
    ) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(GateAPI.ErrorResponse(error))) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extraHeaders)
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = "\(retryAfter)" }
        return Response(
            status: status ?? .init(code: error.code.httpStatus),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
