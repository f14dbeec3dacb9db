import Foundation

/// SMSPartner sub-accounts: `POST /v1/subaccount/create` with `apiKey` in the JSON body; errors
/// are `{"success": false, "code", "message"}` bodies, with HTTP 200 or a 4xx status.
public struct SMSPartnerProvider: ProviderDefinition {
    public init() {}

    public let name = "smspartner"
    public let defaultBaseURL = "https://api.smspartner.fr"
    /// 1 API key required, 2 not authorised, 9 master balance empty, 10 invalid API key; 11 is the
    /// sandbox's sub-account quota.
    public let fatalErrorCodes: Set<String> = ["1", "2", "9", "10", "11"]
    public let modes: [ImportMode] = [.create]

    /// The create answer code for "an account with this email already exists".
    static let emailExistsCode = "7"

    public func columns(mode: ImportMode) -> ColumnSchema {
        ColumnSchema([
            .init("type", aliases: ["account_type", "subaccount_type", "sub_account_type"]),
            .init("email", aliases: ["e_mail", "mail", "email_address"]),
            .init("first_name", aliases: ["firstname", "first", "given_name", "prenom"]),
            .init("last_name", aliases: ["lastname", "last", "surname", "family_name", "nom"]),
            .init("title", aliases: ["civility", "civilite"]),
            .init("credit_to_attribute", aliases: ["credittoattribute", "credit", "credits"]),
            .init("is_buyer", aliases: ["isbuyer", "buyer"]),
        ])
    }

    /// The seed page's rules: a known `type`; `advanced` needs `email` and `is_buyer`;
    /// `credit_to_attribute` a number > 0 when given; emails well-formed.
    public func validate(_ row: ImportRow, mode: ImportMode) -> RowProblem? {
        guard let typeText = row["type"] else {
            return RowProblem(
                column: "type", message: "is required (simple or advanced): add a type column or pass --smspartner-type"
            )
        }
        guard let type = Self.accountType(typeText) else {
            return RowProblem(column: "type", message: "must be simple or advanced (got \(typeText))")
        }
        if let email = row["email"], !FieldRules.isEmail(email) {
            return RowProblem(column: "email", message: "is not a well-formed email address")
        }
        if let credit = row["credit_to_attribute"], Self.credit(credit) == nil {
            return RowProblem(column: "credit_to_attribute", message: "must be a number greater than 0 (got \(credit))")
        }
        if let buyer = row["is_buyer"], Self.buyerFlag(buyer) == nil {
            return RowProblem(column: "is_buyer", message: "must be 1 or 0 (got \(buyer))")
        }
        if type == "advanced" {
            if row["email"] == nil {
                return RowProblem(column: "email", message: "is required for an advanced sub-account")
            }
            if row["is_buyer"] == nil {
                return RowProblem(column: "is_buyer", message: "is required for an advanced sub-account (1 or 0)")
            }
        }
        return nil
    }

    /// `simple` or `advanced` for a `type` cell (any case), or nil when it is neither.
    static func accountType(_ text: String) -> String? {
        let type = text.lowercased()
        return type == "simple" || type == "advanced" ? type : nil
    }

    /// 1 or 0 for an `is_buyer` cell (`1`/`0`, `true`/`false`, `yes`/`no`, `oui`/`non`), or nil.
    static func buyerFlag(_ text: String) -> Int? {
        switch text.lowercased() {
        case "1", "true", "yes", "y", "oui", "o": return 1
        case "0", "false", "no", "n", "non": return 0
        default: return nil
        }
    }

    /// The euros of a `credit_to_attribute` cell (`10`, `2.5` or `2,5`) when it is > 0, or nil.
    static func credit(_ text: String) -> Double? {
        guard let value = Double(text.replacingOccurrences(of: ",", with: ".")), value > 0, value.isFinite else {
            return nil
        }
        return value
    }

    public func credentials(environment: [String: String]) throws -> ProviderCredentials {
        guard let key = environment["SMSPARTNER_API_KEY"], !key.isEmpty else {
            throw SubImportError.missingCredentials(
                "missing SMSPartner credentials: set SMSPARTNER_API_KEY in the environment (or use --sandbox)")
        }
        return ProviderCredentials(login: nil, key: key)
    }

    public func accountLogin(environment: [String: String]) -> String? { nil }

    public var sandboxCredentials: ProviderCredentials { ProviderCredentials(login: nil, key: "sandbox") }

    public func makeClient(_ connection: ProviderConnection) -> any ProviderClient {
        SMSPartnerClient(connection: connection)
    }
}
