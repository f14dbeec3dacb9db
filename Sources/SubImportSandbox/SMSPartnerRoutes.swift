import Foundation

/// The SMSPartner sub-account endpoints of the sandbox.
///
/// `apiKey` is read from the JSON body (POST, DELETE) or the query string (any method).
/// Order of the checks on create: `apiKey` (codes 1, 10 → 401), injected throttle (429) or
/// failure (503), `type` (4, 5), `email` (6), `isBuyer` (3), `creditToAttribute` (8),
/// quota (11 → 403), email already used (7); then the account is created and answered — or,
/// with an injected ambiguous fault, created and then answered 502 or with a dropped connection.
struct SMSPartnerRoutes: Sendable {
    /// Sub-accounts per page of `GET /v1/subaccount/list`.
    static let pageSize = 20

    let environment: SandboxEnvironment

    /// `POST /v1/subaccount/create` → 200 `{"success": true, "code": 200, "subaccount": {"email",
    /// "token"}, "sendConfirmMailTo", "parent_email"}`.
    func create(_ request: SandboxRequest) -> SandboxReply {
        let master: String
        switch authenticate(request) {
        case .success(let id): master = id
        case .failure(let failure): return failure.reply
        }
        let parameters = parametersObject(request.body)
        let email = parameters["email"]?.text.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        let identity =
            email.isEmpty
            ? ["firstname", "lastname", "title"].map { parameters[$0]?.text ?? "" }.joined(separator: "|")
            : email.lowercased()
        let fault = environment.fault(endpoint: SandboxFaultInjector.smspartnerCreate, identity: identity)
        switch fault {
        case .throttle: return .smspartner(.tooManyRequests, headers: environment.retryAfterHeaders)
        case .fail: return .smspartner(.serviceUnavailable)
        case .none, .ambiguousBadGateway, .ambiguousDrop: break
        }
        let type = (request.body?["type"]?.text ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        guard !type.isEmpty else { return .smspartner(.typeRequired) }
        guard type == "simple" || type == "advanced" else { return .smspartner(.typeUnknown) }
        if type == "advanced", email.isEmpty { return .smspartner(.emailRequired) }
        if !email.isEmpty, !FieldFormat.isEmail(email) { return .smspartner(.emailRequired) }
        let isBuyer = parameters["isBuyer"]?.flag
        if type == "advanced", isBuyer == nil { return .smspartner(.isBuyerRequired) }
        var credit: Double?
        if let value = parameters["creditToAttribute"], !value.isNull, value.text != "" {
            guard let number = value.number, number > 0 else { return .smspartner(.creditMustBePositive) }
            credit = number
        }
        let draft = SandboxAccount(
            id: 0, provider: SandboxAccount.smspartner, master: master, apiLogin: email,
            apiKey: SecretGenerator.apiKey(),
            firstName: nonEmpty(parameters["firstname"]), lastName: nonEmpty(parameters["lastname"]),
            email: email, type: type, title: nonEmpty(parameters["title"]),
            isBuyer: type == "advanced" ? isBuyer : nil, creditToAttribute: credit,
            createdAt: .init(timeIntervalSince1970: 0))
        let outcome = environment.store.create(
            draft, generateLogin: email.isEmpty ? SecretGenerator.smspartnerEmail : nil, uniqueEmail: true)
        switch outcome {
        case .quotaReached: return .smspartner(.subAccountLimitReached)
        case .emailTaken: return .smspartner(.emailAlreadyExists)
        case .created(let account):
            switch fault {
            case .ambiguousBadGateway: return .smspartner(.badGateway)
            case .ambiguousDrop: return .drop
            case .none, .throttle, .fail: break
            }
            let parent = Self.parentEmail(master)
            return .json(
                status: 200,
                body: .object([
                    JSONMember("success", true),
                    JSONMember("code", 200),
                    JSONMember(
                        "subaccount",
                        .object([
                            JSONMember("email", .string(account.apiLogin)),
                            JSONMember("token", .string(account.apiKey)),
                        ])),
                    JSONMember("sendConfirmMailTo", .string(type == "advanced" ? account.apiLogin : parent)),
                    JSONMember("parent_email", .string(parent)),
                ]))
        }
    }

    /// `GET /v1/subaccount/list?apiKey=&page=N` → 200 `{"success", "code", "total", "nb_per_page",
    /// "page", "data": [{"id", "email", "type", "token", ...}]}`: the master's live sub-accounts
    /// in creation order, 20 per page; `page` defaults to 1 (values below 1 read as 1).
    func list(_ request: SandboxRequest) -> SandboxReply {
        let master: String
        switch authenticate(request) {
        case .success(let id): master = id
        case .failure(let failure): return failure.reply
        }
        let page = Self.page(request)
        let (offset, overflow) = (page - 1).multipliedReportingOverflow(by: Self.pageSize)
        let (slice, total) = environment.store.page(
            provider: SandboxAccount.smspartner, master: master, offset: overflow ? Int.max : offset,
            limit: Self.pageSize)
        let formatter = ISO8601DateFormatter()
        let data: [JSONValue] = slice.map { account in
            .object([
                JSONMember("id", .int(account.id)),
                JSONMember("email", .string(account.apiLogin)),
                JSONMember("type", .optional(account.type)),
                JSONMember("token", .string(account.apiKey)),
                JSONMember("title", .optional(account.title)),
                JSONMember("firstname", .optional(account.firstName)),
                JSONMember("lastname", .optional(account.lastName)),
                JSONMember("isBuyer", account.isBuyer.map { .int($0 ? 1 : 0) } ?? .null),
                JSONMember("creditToAttribute", account.creditToAttribute.map { .double($0) } ?? .null),
                JSONMember("createdAt", .string(formatter.string(from: account.createdAt))),
            ])
        }
        return .json(
            status: 200,
            body: .object([
                JSONMember("success", true),
                JSONMember("code", 200),
                JSONMember("total", .int(total)),
                JSONMember("nb_per_page", .int(Self.pageSize)),
                JSONMember("page", .int(page)),
                JSONMember("data", .array(data)),
            ]))
    }

    /// `DELETE /v1/subaccount/remove` with `{apiKey, token}` → 200 `{"success": true, "code": 200,
    /// "message": "Sub-account removed"}`; 400 code 12 without token, 404 code 13 when the token
    /// is not one of the master's sub-accounts.
    func remove(_ request: SandboxRequest) -> SandboxReply {
        let master: String
        switch authenticate(request) {
        case .success(let id): master = id
        case .failure(let failure): return failure.reply
        }
        let token = request.body?["token"]?.text ?? request.query["token"] ?? ""
        guard !token.isEmpty else { return .smspartner(.tokenRequired) }
        guard environment.store.remove(provider: SandboxAccount.smspartner, master: master, key: token) != nil else {
            return .smspartner(.subAccountNotFound)
        }
        return .json(
            status: 200,
            body: .object([
                JSONMember("success", true), JSONMember("code", 200), JSONMember("message", "Sub-account removed"),
            ]))
    }

    /// The `page` of a list request: the query's, else the body's, else 1. Values below 1 (or
    /// not a whole number) read as 1; any value, however large, is safe (past the end, no data).
    static func page(_ request: SandboxRequest) -> Int {
        if let text = request.query["page"], let page = Int(text) { return max(1, page) }
        if let number = request.body?["page"]?.number, number.isFinite {
            return max(1, Int(exactly: number.rounded(.towardZero)) ?? (number > 0 ? Int.max : 1))
        }
        return 1
    }

    /// The `parent_email` the sandbox shows for a master (it knows no real address).
    static func parentEmail(_ master: String) -> String { master + "@sandbox.smspartner.fr" }

    private func authenticate(_ request: SandboxRequest) -> Result<String, AuthFailure> {
        let key = request.body?["apiKey"]?.text ?? request.query["apiKey"]
        switch MasterAuthentication.smspartnerMaster(key, environment.configuration) {
        case .master(let id): return .success(id)
        case .missing: return .failure(AuthFailure(reply: .smspartner(.apiKeyRequired)))
        case .invalid: return .failure(AuthFailure(reply: .smspartner(.invalidAPIKey)))
        }
    }

    /// The `parameters` object of a create body (the top-level body when there is none).
    private func parametersObject(_ body: JSONValue?) -> JSONValue {
        if let parameters = body?["parameters"], case .object = parameters { return parameters }
        return body ?? .object([])
    }

    private func nonEmpty(_ value: JSONValue?) -> String? {
        guard let text = value?.text, !text.isEmpty else { return nil }
        return text
    }
}

/// A failed SMSPartner key check and its answer.
private struct AuthFailure: Error {
    let reply: SandboxReply
}
