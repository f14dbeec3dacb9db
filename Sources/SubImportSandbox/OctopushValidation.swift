/// Reads and validates the body of an Octopush sub-account create or edit request.
///
/// Limits (from the provider reference): `first_name` and `last_name` 3–30 characters,
/// `password` at least 6, `company_name` at most 100, callback URLs absolute http(s),
/// `email_for_inbounds` a well-formed email. Lengths count characters (grapheme clusters).
/// Numbers and booleans are read as text ("cast"); null, or an empty optional value, means
/// "not given" (on edit: "clear" for `company_name` and callbacks).
struct OctopushFields: Sendable, Equatable {
    /// The current callback names, in the order answers list them.
    static let callbackNames = [
        "callback_url_for_deliveries", "callback_url_for_blacklisted_numbers", "callback_url_for_visits",
        "callback_url_for_inbounds",
    ]
    /// The legacy callback names the v1 also accepts.
    static let legacyCallbackNames = ["callback_url_for_sms_deliveries", "callback_url_for_voice_sms_deliveries"]
    /// The email callback name.
    static let emailName = "email_for_inbounds"

    var firstName: String?
    var lastName: String?
    var password: String?
    /// Outer `nil`: not given; inner `nil`: cleared.
    var companyName: String??
    /// Callbacks given, by name (`callback_url_for_sms_deliveries` already read as
    /// `callback_url_for_deliveries` when the latter is absent); a `nil` value clears it.
    var callbacks: [String: String?] = [:]

    /// A validation failure: the code and its message.
    struct Failure: Error, Equatable {
        var code: OctopushErrorCode
        var message: String
    }

    /// Reads `body`. With `creating`, `first_name`, `last_name` and `password` are required.
    static func read(_ body: JSONValue?, creating: Bool) -> Result<OctopushFields, Failure> {
        guard let body, case .object = body else {
            return .failure(Failure(code: .malformedBody, message: OctopushErrorCode.malformedBody.message))
        }
        var fields = OctopushFields()
        fields.firstName = body["first_name"]?.text
        fields.lastName = body["last_name"]?.text
        fields.password = body["password"]?.text
        if let company = body["company_name"] {
            let text = company.text ?? ""
            fields.companyName = .some(text.isEmpty ? nil : text)
        }
        if creating {
            for (name, value) in [
                ("first_name", fields.firstName), ("last_name", fields.lastName), ("password", fields.password),
            ] where value == nil {
                return .failure(Failure(code: .missingParameter, message: "Missing parameter: \(name)"))
            }
        }
        if let name = fields.firstName, !(3...30).contains(name.count) {
            return .failure(Failure(code: .firstNameLength, message: OctopushErrorCode.firstNameLength.message))
        }
        if let name = fields.lastName, !(3...30).contains(name.count) {
            return .failure(Failure(code: .lastNameLength, message: OctopushErrorCode.lastNameLength.message))
        }
        if let password = fields.password, password.count < 6 {
            return .failure(Failure(code: .passwordTooShort, message: OctopushErrorCode.passwordTooShort.message))
        }
        if case .some(.some(let company)) = fields.companyName, company.count > 100 {
            return .failure(Failure(code: .companyNameTooLong, message: OctopushErrorCode.companyNameTooLong.message))
        }
        switch readCallbacks(body["callbacks"]) {
        case .success(let callbacks): fields.callbacks = callbacks
        case .failure(let failure): return .failure(failure)
        }
        return .success(fields)
    }

    private static func readCallbacks(_ value: JSONValue?) -> Result<[String: String?], Failure> {
        guard let value, !value.isNull else { return .success([:]) }
        guard case .object(let members) = value else {
            return .failure(Failure(code: .malformedBody, message: "callbacks must be an object"))
        }
        var callbacks: [String: String?] = [:]
        for member in members {
            let name = member.key
            guard callbackNames.contains(name) || legacyCallbackNames.contains(name) || name == emailName else {
                continue  // unknown callbacks are ignored, as the provider does
            }
            let text = member.value.text ?? ""
            if text.isEmpty {
                callbacks[name] = .some(nil)
            } else if name == emailName {
                guard FieldFormat.isEmail(text) else {
                    return .failure(Failure(code: .invalidEmail, message: "Invalid email address: \(name)"))
                }
                callbacks[name] = text
            } else {
                guard FieldFormat.isHTTPURL(text) else {
                    return .failure(Failure(code: .invalidCallbackURL, message: "Invalid callback URL: \(name)"))
                }
                callbacks[name] = text
            }
        }
        if let legacy = callbacks.removeValue(forKey: "callback_url_for_sms_deliveries"),
            callbacks["callback_url_for_deliveries"] == nil
        {
            callbacks["callback_url_for_deliveries"] = legacy
        }
        return .success(callbacks)
    }

    /// Applies the given fields to `account` (the password is checked, never stored).
    func apply(to account: inout SandboxAccount) {
        if let firstName { account.firstName = firstName }
        if let lastName { account.lastName = lastName }
        if let companyName { account.companyName = companyName }
        for (name, value) in callbacks {
            account.callbacks[name] = value
        }
    }
}
