/// Master credentials of a provider account. They never print: `description` is redacted, so
/// string interpolation into a log line or an error cannot leak them.
public struct ProviderCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The account's login (Octopush `api-login`); not secret, used to tell accounts apart.
    public var login: String?
    /// The secret key.
    public var key: String

    public init(login: String?, key: String) {
        self.login = login
        self.key = key
    }

    public var description: String { "credentials(\(login ?? "-"), key redacted)" }
    public var debugDescription: String { description }
}
