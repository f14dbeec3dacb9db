import Foundation

/// Octopush v1 sub-accounts: `POST /v1/public/subaccount/create` and
/// `PATCH /v1/public/subaccount/{login}/edit`, authenticated by the `api-login` and `api-key` headers.
public struct OctopushProvider: ProviderDefinition {
    public init() {}

    public let name = "octopush"
    public let defaultBaseURL = "https://api.octopush.com"
    /// 101 bad credentials, 150 the sub-account quota is reached (the sandbox's codes; Octopush
    /// answers 401/403 for these, which are fatal anyway).
    public let fatalErrorCodes: Set<String> = ["101", "150"]
    public let modes: [ImportMode] = [.create, .update]

    /// The callback fields of the `callbacks` object, current and legacy names.
    static let callbackColumns = [
        "callback_url_for_deliveries", "callback_url_for_blacklisted_numbers", "callback_url_for_visits",
        "callback_url_for_inbounds", "callback_url_for_sms_deliveries", "callback_url_for_voice_sms_deliveries",
    ]

    /// The column naming the sub-account to change in update mode.
    static let loginColumn = "api_login"

    public func columns(mode: ImportMode) -> ColumnSchema {
        let creating = mode == .create
        var columns: [ColumnSchema.Column] = [
            .init(
                "first_name", aliases: ["firstname", "first", "given_name", "prenom", "forename"], required: creating),
            .init("last_name", aliases: ["lastname", "last", "surname", "family_name", "nom"], required: creating),
            .init("password", aliases: ["pass", "pwd", "mot_de_passe"], required: creating, isSecret: true),
            .init("company_name", aliases: ["company", "companyname", "organisation", "organization", "societe"]),
            .init("callback_url_for_deliveries", aliases: ["deliveries_callback", "callback_deliveries"]),
            .init(
                "callback_url_for_blacklisted_numbers", aliases: ["blacklist_callback", "callback_blacklisted_numbers"]),
            .init("callback_url_for_visits", aliases: ["visits_callback", "callback_visits"]),
            .init("callback_url_for_inbounds", aliases: ["inbounds_callback", "callback_inbounds"]),
            .init("callback_url_for_sms_deliveries"),
            .init("callback_url_for_voice_sms_deliveries"),
            .init("email_for_inbounds", aliases: ["email", "inbound_email", "e_mail"]),
        ]
        if mode == .update {
            columns.insert(
                .init(
                    Self.loginColumn, aliases: ["login", "sub_account", "subaccount", "sub_account_login", "apilogin"],
                    required: true), at: 0)
        }
        return ColumnSchema(columns)
    }

    /// Create rows need names and a password; update rows need `api_login` and at least one
    /// field to change. Every field given must meet the reference page's limits either way.
    public func validate(_ row: ImportRow, mode: ImportMode) -> RowProblem? {
        let creating = mode == .create
        if !creating {
            guard row[Self.loginColumn] != nil else {
                return RowProblem(column: Self.loginColumn, message: "is required to name the sub-account to update")
            }
            let changes = row.names.filter { $0 != Self.loginColumn && row[$0] != nil }
            if changes.isEmpty && row.secret == nil {
                return RowProblem(column: nil, message: "nothing to update: every field but api_login is empty")
            }
        }
        if let problem = FieldRules.length(row["first_name"], column: "first_name", 3...30, required: creating) {
            return problem
        }
        if let problem = FieldRules.length(row["last_name"], column: "last_name", 3...30, required: creating) {
            return problem
        }
        if let problem = FieldRules.length(row.secret, column: "password", 6...Int.max, required: creating) {
            return problem
        }
        if let problem = FieldRules.length(row["company_name"], column: "company_name", 0...100, required: false) {
            return problem
        }
        for column in Self.callbackColumns {
            if let url = row[column], !FieldRules.isHTTPURL(url) {
                return RowProblem(column: column, message: "must be an absolute http(s) URL")
            }
        }
        if let email = row["email_for_inbounds"], !FieldRules.isEmail(email) {
            return RowProblem(column: "email_for_inbounds", message: "is not a well-formed email address")
        }
        return nil
    }

    public func credentials(environment: [String: String]) throws -> ProviderCredentials {
        let login = environment["OCTOPUSH_API_LOGIN"] ?? ""
        let key = environment["OCTOPUSH_API_KEY"] ?? ""
        let missing = [login.isEmpty ? "OCTOPUSH_API_LOGIN" : nil, key.isEmpty ? "OCTOPUSH_API_KEY" : nil].compactMap {
            $0
        }
        guard missing.isEmpty else {
            throw SubImportError.missingCredentials(
                "missing Octopush credentials: set \(missing.joined(separator: " and ")) in the environment (or use --sandbox)"
            )
        }
        return ProviderCredentials(login: login, key: key)
    }

    public var sandboxCredentials: ProviderCredentials {
        ProviderCredentials(login: "sandbox@subimport.local", key: "sandbox")
    }

    public func accountLogin(environment: [String: String]) -> String? {
        environment["OCTOPUSH_API_LOGIN"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public func makeClient(_ connection: ProviderConnection) -> any ProviderClient {
        OctopushClient(connection: connection)
    }
}
