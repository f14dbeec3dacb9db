import Foundation

/// A sub-account that a ``SandboxServer`` created, as listed by ``SandboxServer/accounts()``
/// and `GET /_sandbox/accounts`.
///
/// It never holds a master credential nor a password: `master` is the Octopush master login,
/// or for SMSPartner a fingerprint of the master `apiKey` (`smspartner-` + 16 hex digits).
public struct SandboxAccount: Sendable, Codable, Equatable {
    /// Sequential number in creation order, starting at 1 (SMSPartner's `id`).
    public var id: Int
    /// `"octopush"` or `"smspartner"`.
    public var provider: String
    /// The master user that owns the sub-account (login or apiKey fingerprint, never a key).
    public var master: String
    /// Octopush `api_login` of the sub-account; SMSPartner sub-account email.
    public var apiLogin: String
    /// Octopush `api_key` of the sub-account; SMSPartner `token`.
    public var apiKey: String
    /// Octopush `first_name`; SMSPartner `firstname`.
    public var firstName: String?
    /// Octopush `last_name`; SMSPartner `lastname`.
    public var lastName: String?
    /// Octopush `company_name`.
    public var companyName: String?
    /// SMSPartner sub-account email (same as `apiLogin`); `nil` for Octopush.
    public var email: String?
    /// SMSPartner `type` (`simple` or `advanced`); `nil` for Octopush.
    public var type: String?
    /// SMSPartner `title`.
    public var title: String?
    /// SMSPartner `isBuyer` (advanced sub-accounts).
    public var isBuyer: Bool?
    /// SMSPartner `creditToAttribute`, when one was given.
    public var creditToAttribute: Double?
    /// Octopush callbacks by their API name (e.g. `callback_url_for_deliveries`); empty for SMSPartner.
    public var callbacks: [String: String]
    /// Creation time, truncated to the whole second.
    public var createdAt: Date

    /// Creates an account record.
    public init(
        id: Int,
        provider: String,
        master: String,
        apiLogin: String,
        apiKey: String,
        firstName: String? = nil,
        lastName: String? = nil,
        companyName: String? = nil,
        email: String? = nil,
        type: String? = nil,
        title: String? = nil,
        isBuyer: Bool? = nil,
        creditToAttribute: Double? = nil,
        callbacks: [String: String] = [:],
        createdAt: Date
    ) {
        self.id = id
        self.provider = provider
        self.master = master
        self.apiLogin = apiLogin
        self.apiKey = apiKey
        self.firstName = firstName
        self.lastName = lastName
        self.companyName = companyName
        self.email = email
        self.type = type
        self.title = title
        self.isBuyer = isBuyer
        self.creditToAttribute = creditToAttribute
        self.callbacks = callbacks
        self.createdAt = createdAt
    }

    /// The provider name of Octopush accounts.
    public static let octopush = "octopush"
    /// The provider name of SMSPartner accounts.
    public static let smspartner = "smspartner"
}
