/// The Octopush v1 sub-account endpoints of the sandbox.
///
/// Order of the checks on create and edit: credentials (401), injected throttle (429) or
/// failure (503), body and validation (400), then quota (403, create) or lookup (404, edit),
/// then the change is made and answered — or, with an injected ambiguous fault, made and then
/// answered 502 or with a dropped connection.
struct OctopushRoutes: Sendable {
    let environment: SandboxEnvironment

    /// `POST /v1/public/subaccount/create` → 201 `{"api_key": "...", "api_login": "...@sub-accounts.com"}`.
    func create(_ request: SandboxRequest) -> SandboxReply {
        guard let master = MasterAuthentication.octopushMaster(request, environment.configuration) else {
            return .octopush(.incorrectLoginDetails)
        }
        let identity = ["first_name", "last_name", "company_name"]
            .map { request.body?[$0]?.text ?? "" }.joined(separator: "|")
        let fault = environment.fault(endpoint: SandboxFaultInjector.octopushCreate, identity: identity)
        if let reply = notServed(fault) { return reply }
        let fields: OctopushFields
        switch OctopushFields.read(request.body, creating: true) {
        case .success(let read): fields = read
        case .failure(let failure): return .octopush(failure.code, message: failure.message)
        }
        var draft = SandboxAccount(
            id: 0, provider: SandboxAccount.octopush, master: master, apiLogin: "", apiKey: SecretGenerator.apiKey(),
            createdAt: .init(timeIntervalSince1970: 0))
        fields.apply(to: &draft)
        switch environment.store.create(draft, generateLogin: SecretGenerator.octopushLogin) {
        case .quotaReached(let quota):
            return .octopush(
                .subAccountLimitReached, message: "Sub-account limit reached: \(quota) sub-accounts per user")
        case .emailTaken:  // unreachable: emails are not checked for Octopush accounts
            return .octopush(.malformedBody)
        case .created(let account):
            return served(
                fault,
                .json(
                    status: 201,
                    body: .object([
                        JSONMember("api_key", .string(account.apiKey)),
                        JSONMember("api_login", .string(account.apiLogin)),
                    ])
                ))
        }
    }

    /// `PATCH /v1/public/subaccount/{login}/edit` → 201 `{"api_login": login}`; only the fields
    /// present in the body change.
    func edit(_ request: SandboxRequest, login: String) -> SandboxReply {
        guard let master = MasterAuthentication.octopushMaster(request, environment.configuration) else {
            return .octopush(.incorrectLoginDetails)
        }
        let fault = environment.fault(endpoint: SandboxFaultInjector.octopushEdit, identity: login)
        if let reply = notServed(fault) { return reply }
        let fields: OctopushFields
        // An empty body changes nothing; a body that is not JSON is a 108.
        switch OctopushFields.read(request.body ?? (request.hasBody ? nil : .object([])), creating: false) {
        case .success(let read): fields = read
        case .failure(let failure): return .octopush(failure.code, message: failure.message)
        }
        let updated = environment.store.update(provider: SandboxAccount.octopush, master: master, login: login) {
            fields.apply(to: &$0)
        }
        guard let updated else { return .octopush(.subAccountNotFound) }
        return served(fault, .json(status: 201, body: .object([JSONMember("api_login", .string(updated.apiLogin))])))
    }

    /// `GET /v1/public/subaccount/{login}` → 200 `{"first_name", "last_name", "company_name",
    /// "api_key", "callback": {...}}` (every current callback name, null when unset).
    func information(_ request: SandboxRequest, login: String) -> SandboxReply {
        guard let master = MasterAuthentication.octopushMaster(request, environment.configuration) else {
            return .octopush(.incorrectLoginDetails)
        }
        guard let account = environment.store.account(provider: SandboxAccount.octopush, master: master, login: login)
        else { return .octopush(.subAccountNotFound) }
        var callback = (OctopushFields.callbackNames + [OctopushFields.emailName]).map {
            JSONMember($0, .optional(account.callbacks[$0]))
        }
        if let voice = account.callbacks["callback_url_for_voice_sms_deliveries"] {
            callback.append(JSONMember("callback_url_for_voice_sms_deliveries", .string(voice)))
        }
        return .json(
            status: 200,
            body: .object([
                JSONMember("first_name", .optional(account.firstName)),
                JSONMember("last_name", .optional(account.lastName)),
                JSONMember("company_name", .optional(account.companyName)),
                JSONMember("api_key", .string(account.apiKey)),
                JSONMember("callback", .object(callback)),
            ]))
    }

    /// The answer of a request that the fault stops before anything is done.
    private func notServed(_ fault: SandboxFault) -> SandboxReply? {
        switch fault {
        case .throttle: return .octopush(.tooManyRequests, headers: environment.retryAfterHeaders)
        case .fail: return .octopush(.serviceUnavailable)
        case .none, .ambiguousBadGateway, .ambiguousDrop: return nil
        }
    }

    /// The answer of a request that was carried out: `reply`, unless the fault hides it.
    private func served(_ fault: SandboxFault, _ reply: SandboxReply) -> SandboxReply {
        switch fault {
        case .ambiguousBadGateway: return .octopush(.badGateway)
        case .ambiguousDrop: return .drop
        case .none, .throttle, .fail: return reply
        }
    }
}
