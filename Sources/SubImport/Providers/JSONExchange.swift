import Foundation

/// JSON requests over an `HTTPTransport`: the one place clients encode bodies and read answers.
enum JSONExchange {
    /// Sends `body` (a JSON object; nil sends no body) and reads the answer. A transport failure
    /// comes back as the `ProviderAnswer.transport` it is.
    static func send(
        _ transport: HTTPTransport, method: String, url: String, headers: [(String, String)], body: [String: Any]?
    ) -> Result<JSONAnswer, ProviderAnswerFailure> {
        send(transport, method: method, url: url, headers: headers, bytes: body.map { encode($0) })
    }

    /// Sends `bytes` (a JSON body already encoded; nil sends no body) and reads the answer.
    static func send(
        _ transport: HTTPTransport, method: String, url: String, headers: [(String, String)], bytes: [UInt8]?
    ) -> Result<JSONAnswer, ProviderAnswerFailure> {
        var allHeaders = [("Accept", "application/json")] + headers
        if bytes != nil { allHeaders.append(("Content-Type", "application/json")) }
        switch transport.send(method: method, url: url, headers: allHeaders, body: bytes) {
        case .failure(let failure):
            return .failure(
                ProviderAnswerFailure(answer: .transport(requestSent: failure.requestSent, message: failure.message)))
        case .success(let answer):
            return .success(
                JSONAnswer(
                    status: answer.status, body: answer.body, bodyOverLimit: answer.bodyOverLimit,
                    retryAfter: answer.header("Retry-After").flatMap { RetryAfter.seconds(from: $0) }))
        }
    }

    /// `object` as compact JSON with sorted keys.
    static func encode(_ object: [String: Any]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }
}

/// A request that ended without an HTTP answer, as the provider answer that says so.
struct ProviderAnswerFailure: Error {
    var answer: ProviderAnswer
}
