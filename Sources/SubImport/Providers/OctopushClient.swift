import Foundation

/// Sends rows to the Octopush v1 API exactly as its reference pages show: JSON body with the
/// `callbacks` object, `api-login` / `api-key` headers, `201 {"api_key", "api_login"}` on success,
/// `{"code", "message"}` bodies on errors.
struct OctopushClient: ProviderClient {
    let baseURL: String
    let credentials: ProviderCredentials
    let transport: HTTPTransport

    func send(_ job: ClaimedJob) -> ProviderAnswer {
        let url = baseURL.trimmingSuffix("/") + "/v1/public/subaccount/create"
        let body = Self.createBody(fields: job.fields, password: job.secret)
        let headers = [
            ("Content-Type", "application/json"), ("Accept", "application/json"), ("cache-control", "no-cache"),
            ("api-login", credentials.login ?? ""), ("api-key", credentials.key),
        ]
        switch transport.send(method: "POST", url: url, headers: headers, body: body) {
        case .failure(let failure):
            return .transport(requestSent: failure.requestSent, message: failure.message)
        case .success(let answer):
            let json = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any] ?? [:]
            if (200..<300).contains(answer.status) {
                guard let key = json["api_key"] as? String, let login = json["api_login"] as? String else {
                    return .error(
                        status: answer.status, code: nil, message: "created, but the answer has no api_key/api_login",
                        retryAfter: nil)
                }
                return .created(apiLogin: login, apiKey: key)
            }
            return .error(
                status: answer.status, code: (json["code"]).map { "\($0)" },
                message: (json["message"] as? String) ?? "HTTP \(answer.status)",
                retryAfter: answer.header("Retry-After").flatMap { RetryAfter.seconds(from: $0) })
        }
    }

    /// The create request body: the row's fields, the password, and the callback fields grouped
    /// in the `callbacks` object. Absent fields are not sent.
    static func createBody(fields: [String: String], password: String?) -> [UInt8] {
        var object: [String: Any] = [:]
        for key in ["first_name", "last_name", "company_name"] { if let value = fields[key] { object[key] = value } }
        if let password { object["password"] = password }
        var callbacks: [String: String] = [:]
        for key in OctopushProvider.callbackColumns + ["email_for_inbounds"] {
            if let value = fields[key] { callbacks[key] = value }
        }
        if !callbacks.isEmpty { object["callbacks"] = callbacks }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Array(data)
    }
}

extension String {
    /// The string without one trailing `suffix`, if present.
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
