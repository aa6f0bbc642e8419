import ChatProtocol
import Foundation
import Hummingbird
import NIOCore

/// Turns every failure into `{"error": {"code", "message"}}` with a fitting status, whatever threw
/// it: our services (`ChatError`), the router (unknown route), the body limit, or a bug.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
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

    static func response(_ error: ChatError, status: HTTPResponse.Status? = nil) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let body = (try? encoder.encode(GateAPI.ErrorResponse(error))) ?? Data("{}".utf8)
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if let retryAfter = error.retryAfterSeconds { headers[.retryAfter] = "\(retryAfter)" }
        return Response(
            status: status ?? .init(code: error.code.httpStatus),
            headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
