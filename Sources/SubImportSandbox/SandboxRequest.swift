import Foundation
import HTTPTypes
import Hummingbird

/// A request as the sandbox routes see it: decoded path segments and query, headers, and the
/// body read as JSON.
struct SandboxRequest: Sendable {
    /// Upper-case HTTP method, e.g. `POST`.
    var method: String
    /// The path without query, as received (for logs).
    var path: String
    /// The percent-decoded, non-empty path segments.
    var segments: [String]
    /// Percent-decoded query parameters (`+` read as a space); the first of repeated names wins.
    var query: [String: String]
    /// The request headers.
    var headers: HTTPFields
    /// The body as JSON; `nil` when empty or not JSON.
    var body: JSONValue?
    /// Whether the body has anything but whitespace.
    var hasBody: Bool

    init(method: String, path: String, query: String?, headers: HTTPFields, body: [UInt8]) {
        self.method = method.uppercased()
        self.path = path
        segments = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        var parameters: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            if parameters[name] == nil { parameters[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        self.query = parameters
        self.headers = headers
        self.body = JSONValue.parse(body)
        hasBody = body.contains { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
    }

    /// The value of the header `name` (case-insensitive), `nil` when absent.
    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { headers[$0] }
    }
}
