import Foundation

/// Sends rows to the Octopush v1 API exactly as its reference pages show: JSON bodies with the
/// `callbacks` object, `api-login` / `api-key` headers; create answers `201 {"api_key",
/// "api_login"}`, edit answers any 2xx; errors are `{"code", "message"}` bodies.
struct OctopushClient: ProviderClient {
    let connection: ProviderConnection

    func send(_ job: ClaimedJob) -> ProviderAnswer {
        answerWaitedFor(job)
    }

    func send(
        _ job: ClaimedJob, completingOn queue: DispatchQueue, _ completion: @escaping @Sendable (ProviderAnswer) -> Void
    ) {
        let request = Self.request(for: job)
        JSONExchange.send(
            connection.transport, method: request.method, url: connection.url(request.path), headers: headers,
            bytes: request.body, completingOn: queue
        ) { result in
            switch result {
            case .failure(let failure): completion(failure.answer)
            case .success(let answer): completion(request.read(answer))
            }
        }
    }

    /// One row's request and how its answer is read.
    struct Request: Sendable {
        var method: String
        var path: String
        var body: [UInt8]
        var read: @Sendable (JSONAnswer) -> ProviderAnswer
    }

    /// `POST /v1/public/subaccount/create`, or in update mode `PATCH
    /// /v1/public/subaccount/{api_login}/edit` with only the row's non-empty fields.
    static func request(for job: ClaimedJob) -> Request {
        let body = Self.body(fields: job.fields, password: job.secret)
        guard job.mode == ImportMode.update.rawValue else {
            return Request(method: "POST", path: "/v1/public/subaccount/create", body: body) {
                OctopushAnswerReading.create($0)
            }
        }
        let login = job.fields[OctopushProvider.loginColumn] ?? ""
        var pathAllowed = CharacterSet.urlPathAllowed
        pathAllowed.remove("/")
        let segment = login.addingPercentEncoding(withAllowedCharacters: pathAllowed) ?? login
        return Request(method: "PATCH", path: "/v1/public/subaccount/\(segment)/edit", body: body) {
            OctopushAnswerReading.update($0, login: login)
        }
    }

    /// The account's authentication headers.
    private var headers: [(String, String)] {
        [
            ("cache-control", "no-cache"), ("api-login", connection.credentials.login ?? ""),
            ("api-key", connection.credentials.key),
        ]
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
