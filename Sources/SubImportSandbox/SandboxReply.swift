import HTTPTypes
import Hummingbird

/// What a sandbox route answers: a JSON response, or a connection closed without any answer.
enum SandboxReply: Sendable {
    /// A response with a JSON body, `Content-Type: application/json`.
    case json(status: Int, body: JSONValue, headers: [String: String] = [:])
    /// A response whose JSON body is already encoded.
    case encoded(status: Int, json: String)
    /// Close the TCP connection without writing a single byte of response.
    case drop

    /// The HTTP status for logs; `nil` for a dropped connection.
    var status: Int? {
        switch self {
        case .json(let status, _, _), .encoded(let status, _): return status
        case .drop: return nil
        }
    }

    /// An Octopush error answer `{"code": N, "message": "..."}` with the code's HTTP status.
    static func octopush(_ code: OctopushErrorCode, message: String? = nil, headers: [String: String] = [:])
        -> SandboxReply
    {
        .json(
            status: code.httpStatus,
            body: .object([
                JSONMember("code", .int(code.rawValue)), JSONMember("message", .string(message ?? code.message)),
            ]),
            headers: headers
        )
    }

    /// An SMSPartner error answer `{"success": false, "code": N, "message": "..."}` with the
    /// code's HTTP status.
    static func smspartner(_ code: SMSPartnerErrorCode, headers: [String: String] = [:]) -> SandboxReply {
        .json(
            status: code.httpStatus,
            body: .object([
                JSONMember("success", false), JSONMember("code", .int(code.rawValue)),
                JSONMember("message", .string(code.message)),
            ]),
            headers: headers
        )
    }

    /// The same reply with a business error's 4xx status (other than 404 and 429) replaced by
    /// 200, its body untouched: SMSPartner's habit of answering `{"success": false, ...}` with 200.
    func businessErrorAsHTTP200() -> SandboxReply {
        guard case .json(let status, let body, let headers) = self, (400..<500).contains(status),
            status != 404, status != 429
        else { return self }
        return .json(status: 200, body: body, headers: headers)
    }

    /// The Hummingbird response of a `.json` reply (`nil` for `.drop`).
    func response() -> Response? {
        let status: Int
        let json: String
        var headers: HTTPFields = [.contentType: "application/json"]
        switch self {
        case .drop: return nil
        case .encoded(let code, let text):
            status = code
            json = text
        case .json(let code, let body, let extra):
            status = code
            json = body.serialized
            for (name, value) in extra {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
        }
        return Response(
            status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }
}
