import Dispatch
import Foundation

/// JSON requests over an `HTTPTransport`: the one place clients encode bodies and read answers.
enum JSONExchange {
    /// Sends `bytes` (a JSON body already encoded; nil sends no body) and reads the answer.
    static func send(
        _ transport: HTTPTransport, method: String, url: String, headers: [(String, String)], bytes: [UInt8]?
    ) -> Result<JSONAnswer, ProviderAnswerFailure> {
        reading(transport.send(method: method, url: url, headers: jsonHeaders(headers, body: bytes), body: bytes))
    }

    /// Sends `bytes` without blocking; `completion` gets the answer read, on `queue`.
    static func send(
        _ transport: HTTPTransport, method: String, url: String, headers: [(String, String)], bytes: [UInt8]?,
        completingOn queue: DispatchQueue,
        _ completion: @escaping @Sendable (Result<JSONAnswer, ProviderAnswerFailure>) -> Void
    ) {
        transport.send(
            method: method, url: url, headers: jsonHeaders(headers, body: bytes), body: bytes, completingOn: queue
        ) { completion(reading($0)) }
    }

    /// `headers` after the JSON `Accept` (and `Content-Type` when there is a body).
    private static func jsonHeaders(_ headers: [(String, String)], body: [UInt8]?) -> [(String, String)] {
        var allHeaders = [("Accept", "application/json")] + headers
        if body != nil { allHeaders.append(("Content-Type", "application/json")) }
        return allHeaders
    }

    /// A transport result as a JSON answer, or the `ProviderAnswer.transport` failure it is.
    private static func reading(_ result: Result<HTTPAnswer, TransportFailure>) -> Result<
        JSONAnswer, ProviderAnswerFailure
    > {
        switch result {
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
}

/// A request that ended without an HTTP answer, as the provider answer that says so.
struct ProviderAnswerFailure: Error {
    var answer: ProviderAnswer
}
