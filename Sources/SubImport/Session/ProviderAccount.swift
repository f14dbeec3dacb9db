/// One provider account the engine sends to: the provider, where, and with which credentials.
/// `key` names it in the queue and in logs; it never contains a secret.
public struct ProviderAccount: Sendable {
    public var provider: any ProviderDefinition
    public var baseURL: String
    public var credentials: ProviderCredentials
    /// True when the account is the embedded sandbox (its URL changes every run).
    public var isSandbox: Bool

    public init(provider: any ProviderDefinition, baseURL: String, credentials: ProviderCredentials, isSandbox: Bool) {
        self.provider = provider
        self.baseURL = baseURL
        self.credentials = credentials
        self.isSandbox = isSandbox
    }

    /// `octopush@sandbox`, or `octopush@https://api.octopush.com#login` (a key-only account is
    /// named by a short hash of its key, never the key).
    public var key: String {
        if isSandbox { return "\(provider.name)@sandbox" }
        let who = credentials.login ?? "key-" + String(Digest.sha256Hex(of: Array(credentials.key.utf8)).prefix(8))
        return "\(provider.name)@\(baseURL.trimmingSuffix("/"))#\(who)"
    }
}
