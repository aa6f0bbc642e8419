import ChatProtocol
import Foundation
import Testing

@Suite("ErrorCode and ChatError")
struct ErrorCodeTests {
    @Test func rawValuesAreUnique() {
        let rawValues = ErrorCode.allCases.map(\.rawValue)
        #expect(Set(rawValues).count == rawValues.count, "duplicate codes in \(rawValues)")
        #expect(ErrorCode.allCases.count >= 25)
    }

    @Test(arguments: ErrorCode.allCases)
    func rawValueIsSnakeCase(_ code: ErrorCode) throws {
        let snakeCase = try Regex("^[a-z_]+$")
        #expect(code.rawValue.wholeMatch(of: snakeCase) != nil, "\(code.rawValue) is not snake_case")
        #expect(!code.rawValue.hasPrefix("_"))
        #expect(!code.rawValue.hasSuffix("_"))
        #expect(!code.rawValue.contains("__"))
    }

    @Test(arguments: ErrorCode.allCases)
    func httpStatusIsAnErrorStatus(_ code: ErrorCode) {
        #expect((400..<600).contains(code.httpStatus), "\(code.rawValue) maps to \(code.httpStatus)")
    }

    @Test func selectedHTTPStatuses() {
        #expect(ErrorCode.badRequest.httpStatus == 400)
        #expect(ErrorCode.invalidCredentials.httpStatus == 401)
        #expect(ErrorCode.invalidToken.httpStatus == 401)
        #expect(ErrorCode.notFriends.httpStatus == 403)
        #expect(ErrorCode.notFound.httpStatus == 404)
        #expect(ErrorCode.usernameTaken.httpStatus == 409)
        #expect(ErrorCode.payloadTooLarge.httpStatus == 413)
        #expect(ErrorCode.rateLimited.httpStatus == 429)
        #expect(ErrorCode.tooManyAttempts.httpStatus == 429)
        #expect(ErrorCode.internalError.httpStatus == 500)
        #expect(ErrorCode.unavailable.httpStatus == 503)
        // Only server-side failures are 5xx.
        let serverSide = ErrorCode.allCases.filter { $0.httpStatus >= 500 }
        #expect(Set(serverSide) == [.internalError, .unavailable])
    }

    @Test func wireNamesAreStable() {
        #expect(ErrorCode.badRequest.rawValue == "bad_request")
        #expect(ErrorCode.internalError.rawValue == "internal")
        #expect(ErrorCode.frameTooLarge.rawValue == "frame_too_large")
        #expect(ErrorCode(rawValue: "malformed_frame") == .malformedFrame)
        #expect(ErrorCode(rawValue: "no_such_code") == nil)
    }

    @Test func codesEncodeAsTheirRawValueInJSON() throws {
        let data = try JSONEncoder().encode([ErrorCode.invalidUsername, .rateLimited])
        #expect(String(decoding: data, as: UTF8.self) == #"["invalid_username","rate_limited"]"#)
        let decoded = try JSONDecoder().decode([ErrorCode].self, from: Data(#"["weak_password"]"#.utf8))
        #expect(decoded == [.weakPassword])
    }

    @Test(arguments: ErrorCode.allCases)
    func chatErrorDescriptionContainsTheCodeAndMessage(_ code: ErrorCode) {
        let error = ChatError(code, "Something about \(code).")
        #expect(error.description.contains(code.rawValue))
        #expect(error.description.contains("Something about"))
        #expect(error.description == "\(code.rawValue): Something about \(code).")
        #expect(String(describing: error).contains(code.rawValue))
    }

    @Test func internalErrorHasTheInternalCode() {
        let error = ChatError.internalError()
        #expect(error.code == .internalError)
        #expect(!error.message.isEmpty)
    }

    @Test func chatErrorsCompareByCodeAndMessage() {
        #expect(ChatError(.notFound, "a") == ChatError(.notFound, "a"))
        #expect(ChatError(.notFound, "a") != ChatError(.notFound, "b"))
        #expect(ChatError(.notFound, "a") != ChatError(.badRequest, "a"))
    }

    // MARK: On the wire

    @Test func errorEnvelopeCarriesCodeMessageAndRequestID() throws {
        let original = ChatError(.notFriends, "You can only message your friends. 只能给好友发消息。")
        let envelope = WireEnvelope.error(original, requestID: 99)
        #expect(envelope.requestID == 99)
        var frame = try envelope.framed()
        frame.moveReaderIndex(forwardBy: 4)
        let decoded = try WireEnvelope.decode(frame: frame)
        guard case .error(let wire)? = decoded.payload else {
            Issue.record("expected an error payload")
            return
        }
        #expect(wire.code == "not_friends")
        #expect(wire.chatError == original)
    }

    @Test func unknownWireCodeBecomesInternalErrorKeepingTheMessage() {
        var wire = WireError()
        wire.code = "some_code_from_the_future"
        wire.message = "Newer server says no."
        #expect(wire.chatError.code == .internalError)
        #expect(wire.chatError.message == "Newer server says no.")
    }

    @Test func errorResponseBodyUsesTheRawCode() throws {
        let body = GateAPI.ErrorResponse(ChatError(.emailTaken, "Taken."))
        #expect(body.error.code == "email_taken")
        #expect(body.error.message == "Taken.")
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(body)) as? [String: [String: String]]
        #expect(json?["error"]?["code"] == "email_taken")
    }
}
