/// What one request to a provider came back with, before any decision is made about it.
public enum ProviderAnswer: Sendable, Equatable {
    /// A 2xx answer that created the account.
    case created(apiLogin: String, apiKey: String)
    /// The provider said the account already exists, and a lookup found it: an earlier,
    /// ambiguous attempt of this row did create it. The row is settled as created.
    case reconciled(apiLogin: String, apiKey: String)
    /// A 2xx answer to an update of the sub-account `apiLogin`.
    case updated(apiLogin: String)
    /// A 2xx answer to a create whose body cannot be read (not JSON, no key, a key that is not
    /// text): the account exists, but its key is unknown. The row settles `uncertain`, never
    /// `failed`, and is never sent again.
    case unreadableSuccess(status: Int, message: String)
    /// The provider answered with an error: an HTTP status, and the code and message of its body.
    /// `retryAfter` is the `Retry-After` header in seconds from now, when present and readable.
    case error(status: Int, code: String?, message: String, retryAfter: Double?)
    /// No answer. `requestSent` is false when the request certainly never reached the provider
    /// (connection refused, DNS or TLS failure); true when it may have (timeout, reset, close).
    case transport(requestSent: Bool, message: String)
}
