import Foundation

/// Sends rows to SMSPartner's `POST /v1/subaccount/create` as its seed page shows, and
/// reconciles an "already exists" answer that follows an ambiguous attempt.
///
/// Reconciliation: when an earlier attempt of the row may have created the account (timeout or
/// reset after sending, 5xx, crash in flight) and the provider now answers code 7 ("an account
/// with this email already exists"), the account is looked up by email through
/// `GET /v1/subaccount/list?apiKey=…&page=N` (20 a page) and the row is answered `reconciled`
/// with the token found. A code 7 without an earlier ambiguous attempt is a real conflict and
/// stays an error. Every lookup request waits on the account's limiter.
struct SMSPartnerClient: ProviderClient {
    let connection: ProviderConnection

    func send(_ job: ClaimedJob) -> ProviderAnswer {
        let answer = create(job)
        guard case .error(_, SMSPartnerProvider.emailExistsCode?, _, _) = answer, job.ambiguous,
            let email = job.fields["email"]
        else { return answer }
        return reconcile(email: email, conflict: answer)
    }

    /// `POST /v1/subaccount/create` with `apiKey`, `type` and `parameters`.
    private func create(_ job: ClaimedJob) -> ProviderAnswer {
        switch JSONExchange.send(
            connection.transport, method: "POST", url: connection.url("/v1/subaccount/create"), headers: [],
            body: Self.body(fields: job.fields, apiKey: connection.credentials.key))
        {
        case .failure(let failure): return failure.answer
        case .success(let answer):
            // A 2xx says the account may exist unless its body says `success: false` (a validation
            // code answered with HTTP 200).
            guard answer.isSuccessStatus, answer.object["success"] as? Bool != false else { return error(answer) }
            let subaccount = answer.object["subaccount"] as? [String: Any] ?? [:]
            guard answer.object["success"] as? Bool == true, let email = subaccount["email"] as? String,
                let token = subaccount["token"] as? String
            else {
                return .unreadableSuccess(
                    status: answer.status, message: "created, but the answer has no subaccount email/token")
            }
            return .created(apiLogin: email, apiKey: token)
        }
    }

    /// Finds `email` among the master's sub-accounts, page by page.
    private func reconcile(email: String, conflict: ProviderAnswer) -> ProviderAnswer {
        var page = 1
        while true {
            guard connection.limiter.acquire(unless: connection.shouldStop) else {
                return .transport(requestSent: false, message: "stopped before the lookup of an existing account")
            }
            var components = URLComponents(string: connection.url("/v1/subaccount/list"))
            components?.queryItems = [
                URLQueryItem(name: "apiKey", value: connection.credentials.key),
                URLQueryItem(name: "page", value: String(page)),
            ]
            let url = components?.string ?? connection.url("/v1/subaccount/list")
            switch JSONExchange.send(connection.transport, method: "GET", url: url, headers: [], body: nil) {
            case .failure(let failure):
                // Nothing was created by this attempt: retry it (it will meet code 7 and look again).
                if case .transport(_, let message) = failure.answer {
                    return .transport(
                        requestSent: false,
                        message: "account exists (code 7); its lookup failed: \(redacted(message))")
                }
                return failure.answer
            case .success(let answer):
                if answer.status >= 500 {
                    // Nothing was created by this attempt: retry it, without a new ambiguity.
                    return .transport(
                        requestSent: false,
                        message: "account exists (code 7); its lookup answered HTTP \(answer.status)")
                }
                guard answer.isSuccessStatus, answer.object["success"] as? Bool != false else { return error(answer) }
                let accounts = answer.object["data"] as? [[String: Any]] ?? []
                if let found = accounts.first(where: { ($0["email"] as? String)?.lowercased() == email.lowercased() }),
                    let token = found["token"] as? String
                {
                    return .reconciled(apiLogin: found["email"] as? String ?? email, apiKey: token)
                }
                let perPage = (answer.object["nb_per_page"] as? Int) ?? max(accounts.count, 1)
                let total = (answer.object["total"] as? Int) ?? 0
                if accounts.isEmpty || page * perPage >= total {
                    guard case .error(let status, let code, let message, let retryAfter) = conflict else {
                        return conflict
                    }
                    return .error(
                        status: status, code: code,
                        message: "\(message) (and it is not one of this account's sub-accounts)",
                        retryAfter: retryAfter)
                }
                page += 1
            }
        }
    }

    /// An error answer: `{"success": false, "code", "message"}`, with the `error`/`errors`
    /// arrays' messages appended.
    private func error(_ answer: JSONAnswer) -> ProviderAnswer {
        var details: [String] = []
        for key in ["error", "errors"] {
            for item in answer.object[key] as? [[String: Any]] ?? [] {
                guard let message = item["message"] as? String else { continue }
                details.append((item["elementId"] as? String).map { "\($0): \(message)" } ?? message)
            }
        }
        return answer.error(details: details)
    }

    /// `message` with the API key (which travels in the list URL) masked.
    private func redacted(_ message: String) -> String {
        let key = connection.credentials.key
        return key.isEmpty ? message : message.replacingOccurrences(of: key, with: "<redacted>")
    }

    /// The create body: `apiKey`, `type` and the `parameters` the row gives (empty cells are not sent).
    static func body(fields: [String: String], apiKey: String) -> [String: Any] {
        var parameters: [String: Any] = [:]
        for (column, parameter) in [
            ("email", "email"), ("title", "title"), ("first_name", "firstname"), ("last_name", "lastname"),
        ] {
            if let value = fields[column] { parameters[parameter] = value }
        }
        if let credit = fields["credit_to_attribute"].flatMap(SMSPartnerProvider.credit) {
            parameters["creditToAttribute"] = credit == credit.rounded() && credit < 1e15 ? Int(credit) : credit
        }
        if let buyer = fields["is_buyer"].flatMap(SMSPartnerProvider.buyerFlag) { parameters["isBuyer"] = buyer }
        return [
            "apiKey": apiKey, "type": fields["type"].flatMap(SMSPartnerProvider.accountType) ?? "",
            "parameters": parameters,
        ]
    }
}
