import Foundation

/// Sends rows to the Octopush v1 API exactly as its reference pages show: JSON bodies with the
/// `callbacks` object, `api-login` / `api-key` headers; create answers `201 {"api_key",
/// "api_login"}`, edit answers any 2xx; errors are `{"code", "message"}` bodies.
struct OctopushClient: ProviderClient {
    let connection: ProviderConnection

    func send(_ job: ClaimedJob) -> ProviderAnswer {
        if job.mode == ImportMode.update.rawValue {
            return update(job)
        }
        return create(job)
    }

    /// `POST /v1/public/subaccount/create`.
    private func create(_ job: ClaimedJob) -> ProviderAnswer {
        switch exchange(
            "POST", "/v1/public/subaccount/create", body: Self.body(fields: job.fields, password: job.secret))
        {
        case .failure(let failure): return failure.answer
        case .success(let answer): return OctopushAnswerReading.create(answer)
        }
    }

    /// `PATCH /v1/public/subaccount/{api_login}/edit` with only the row's non-empty fields.
    private func update(_ job: ClaimedJob) -> ProviderAnswer {
        let login = job.fields[OctopushProvider.loginColumn] ?? ""
        var pathAllowed = CharacterSet.urlPathAllowed
        pathAllowed.remove("/")
        let segment = login.addingPercentEncoding(withAllowedCharacters: pathAllowed) ?? login
        switch exchange(
            "PATCH", "/v1/public/subaccount/\(segment)/edit", body: Self.body(fields: job.fields, password: job.secret))
        {
        case .failure(let failure): return failure.answer
        case .success(let answer): return OctopushAnswerReading.update(answer, login: login)
        }
    }

    private func exchange(_ method: String, _ path: String, body: [UInt8]) -> Result<
        JSONAnswer, ProviderAnswerFailure
    > {
        JSONExchange.send(
            connection.transport, method: method, url: connection.url(path),
            headers: [
                ("cache-control", "no-cache"), ("api-login", connection.credentials.login ?? ""),
                ("api-key", connection.credentials.key),
            ], bytes: body)
    }

    /// A create or edit body, as compact JSON bytes with sorted keys: the row's account fields,
    /// the password, and the callback fields grouped in the `callbacks` object. Absent (empty)
    /// fields are not sent.
    static func body(fields: [String: String], password: String?) -> [UInt8] {
        var members: [(name: String, value: [UInt8])] = []
        for key in ["first_name", "last_name", "company_name"] {
            if let value = fields[key] { members.append((key, JSONText.quotedBytes(value))) }
        }
        if let password { members.append(("password", JSONText.quotedBytes(password))) }
        let callbacks = (OctopushProvider.callbackColumns + ["email_for_inbounds"]).compactMap { key in
            fields[key].map { (name: key, value: JSONText.quotedBytes($0)) }
        }
        if !callbacks.isEmpty { members.append(("callbacks", JSONText.objectBytes(callbacks))) }
        return JSONText.objectBytes(members)
    }
}

extension String {
    /// The string without one trailing `suffix`, if present.
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
