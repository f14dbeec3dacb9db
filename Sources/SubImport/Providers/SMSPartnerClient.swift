import Dispatch
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
    /// The most list pages read by one lookup.
    var maxListPages = ProviderAnswerLimits.maxListPages

    func send(_ job: ClaimedJob) -> ProviderAnswer {
        answerWaitedFor(job)
    }

    /// Sends the create without blocking. A conflict that needs reconciling (rare: code 7 after
    /// an ambiguous attempt) is looked up with blocking list requests on a queue of its own (so
    /// that `queue`, which may carry other workers' answers, never waits for it); `completion`
    /// is then called on `queue`.
    func send(
        _ job: ClaimedJob, completingOn queue: DispatchQueue, _ completion: @escaping @Sendable (ProviderAnswer) -> Void
    ) {
        JSONExchange.send(
            connection.transport, method: "POST", url: createURL, headers: [],
            bytes: createBody(job), completingOn: queue
        ) { result in
            let answer: ProviderAnswer
            switch result {
            case .failure(let failure): answer = failure.answer
            case .success(let created): answer = SMSPartnerAnswerReading.create(created)
            }
            guard let email = emailToReconcile(answer, job: job) else { return completion(answer) }
            DispatchQueue(label: "subimport.smspartner.lookup").async {
                let reconciled = reconcile(email: email, conflict: answer)
                queue.async { completion(reconciled) }
            }
        }
    }

    /// The row's email when `answer` is a code 7 after an ambiguous attempt (the account may be
    /// the one that attempt created: look it up), else nil.
    private func emailToReconcile(_ answer: ProviderAnswer, job: ClaimedJob) -> String? {
        guard case .error(_, SMSPartnerProvider.emailExistsCode?, _, _) = answer, job.ambiguous else { return nil }
        return job.fields["email"]
    }

    /// `POST /v1/subaccount/create` with `apiKey`, `type` and `parameters`.
    private var createURL: String { connection.url("/v1/subaccount/create") }

    private func createBody(_ job: ClaimedJob) -> [UInt8] {
        Self.body(fields: job.fields, apiKey: connection.credentials.key)
    }

    /// Finds `email` among the master's sub-accounts, page by page: stops when a page lists
    /// nothing, when the pages read list `total` accounts, or after
    /// `maxListPages` pages (whatever the provider says its pages hold).
    private func reconcile(email: String, conflict: ProviderAnswer) -> ProviderAnswer {
        var listed = 0
        for page in 1...max(1, maxListPages) {
            guard connection.limiter.acquire(unless: connection.shouldStop) else {
                return .transport(requestSent: false, message: "stopped before the lookup of an existing account")
            }
            var components = URLComponents(string: connection.url("/v1/subaccount/list"))
            components?.queryItems = [
                URLQueryItem(name: "apiKey", value: connection.credentials.key),
                URLQueryItem(name: "page", value: String(page)),
            ]
            let url = components?.string ?? connection.url("/v1/subaccount/list")
            switch JSONExchange.send(connection.transport, method: "GET", url: url, headers: [], bytes: nil) {
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
                switch SMSPartnerAnswerReading.listPage(answer, email: email) {
                case .failed(let error): return error
                case .found(let apiLogin, let apiKey): return .reconciled(apiLogin: apiLogin, apiKey: apiKey)
                case .notFound(let count, let total):
                    listed += count
                    if count == 0 || listed >= (total ?? 0) { return notListed(conflict, pages: nil) }
                }
            }
        }
        return notListed(conflict, pages: maxListPages)
    }

    /// The `conflict` answer, saying the account was not found in the list (within `pages` pages
    /// when the walk stopped at the limit).
    private func notListed(_ conflict: ProviderAnswer, pages: Int?) -> ProviderAnswer {
        guard case .error(let status, let code, let message, let retryAfter) = conflict else { return conflict }
        let within = pages.map { " within the first \($0) pages of the list" } ?? ""
        return .error(
            status: status, code: code,
            message: "\(message) (and it is not one of this account's sub-accounts\(within))",
            retryAfter: retryAfter)
    }

    /// `message` with the API key (which travels in the list URL) masked.
    private func redacted(_ message: String) -> String {
        let key = connection.credentials.key
        return key.isEmpty ? message : message.replacingOccurrences(of: key, with: "<redacted>")
    }

    /// The create body: `apiKey`, `type` and the `parameters` the row gives (empty cells are not sent).
    static func body(fields: [String: String], apiKey: String) -> [UInt8] {
        var parameters: [(name: String, value: [UInt8])] = []
        for (column, parameter) in [
            ("email", "email"), ("title", "title"), ("first_name", "firstname"), ("last_name", "lastname"),
        ] {
            if let value = fields[column] { parameters.append((parameter, JSONText.quotedBytes(value))) }
        }
        if let credit = fields["credit_to_attribute"].flatMap(SMSPartnerProvider.credit) {
            let number = credit == credit.rounded() && credit < 1e15 ? String(Int(credit)) : String(credit)
            parameters.append(("creditToAttribute", Array(number.utf8)))
        }
        if let buyer = fields["is_buyer"].flatMap(SMSPartnerProvider.buyerFlag) {
            parameters.append(("isBuyer", Array(String(buyer).utf8)))
        }
        return JSONText.objectBytes([
            ("apiKey", JSONText.quotedBytes(apiKey)),
            ("type", JSONText.quotedBytes(fields["type"].flatMap(SMSPartnerProvider.accountType) ?? "")),
            ("parameters", JSONText.objectBytes(parameters)),
        ])
    }
}
