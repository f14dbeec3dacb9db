/// How an embedded provider emulator (``SandboxServer``) behaves.
///
/// Every field has a default, so `SandboxConfiguration()` is a permissive sandbox on a free
/// loopback port: any non-empty credentials are accepted, 20 sub-accounts per master user,
/// no latency and no injected faults.
public struct SandboxConfiguration: Sendable, Equatable {
    /// Address to bind. Loopback by default; the sandbox is not meant to be reachable from elsewhere.
    public var host: String = "127.0.0.1"
    /// TCP port to bind; `0` asks the system for a free port (see ``SandboxServer/port``).
    public var port: Int = 0
    /// Octopush master `api-login` to require; `nil` accepts any non-empty login.
    public var apiLogin: String?
    /// Octopush master `api-key` to require; `nil` accepts any non-empty key.
    public var apiKey: String?
    /// SMSPartner `apiKey` to require; `nil` accepts any non-empty key.
    public var smspartnerKey: String?
    /// Maximum number of live sub-accounts per master user (per Octopush `api-login`, per
    /// SMSPartner `apiKey`); `0` means unlimited. Values below zero are treated as `0`.
    public var quota: Int = 20
    /// Delay added before answering every provider request (not the `/_sandbox` routes).
    public var latencyMs: Int = 0
    /// Delay between carrying out a provider request and answering it: the window in which a
    /// client that stops waiting (or dies) leaves an account created but unanswered.
    public var answerDelayMs: Int = 0
    /// Probability in `0...1` that a create/edit request is answered `503 Service Unavailable`
    /// without creating or changing anything.
    public var failRate: Double = 0
    /// Probability in `0...1` that a create/edit request is answered `429 Too Many Requests`
    /// (with `Retry-After: retryAfterSeconds`) without creating or changing anything.
    public var throttleRate: Double = 0
    /// Probability in `0...1` that a create/edit request that would succeed IS carried out, but
    /// is then answered `502 Bad Gateway` or with a dropped connection (no response), half each.
    public var ambiguousRate: Double = 0
    /// Share in `0...1` of the ambiguous faults that drop the connection (the rest answer 502).
    public var ambiguousDropShare: Double = 0.5
    /// Value of the `Retry-After` header (seconds) sent with injected 429 answers.
    public var retryAfterSeconds: Int = 1
    /// Answer SMSPartner business errors (codes 1–13) with HTTP 200 and `"success": false`, as
    /// the real API sometimes does, instead of a 4xx status.
    public var smspartnerErrorsWithHTTP200 = false
    /// Seed of the fault decisions: the same seed and the same requests give the same faults,
    /// whatever the order or concurrency of the requests.
    public var seed: UInt64 = 1

    /// Creates a configuration; every parameter defaults to the permissive, fault-free sandbox.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        apiLogin: String? = nil,
        apiKey: String? = nil,
        smspartnerKey: String? = nil,
        quota: Int = 20,
        latencyMs: Int = 0,
        failRate: Double = 0,
        throttleRate: Double = 0,
        ambiguousRate: Double = 0,
        ambiguousDropShare: Double = 0.5,
        retryAfterSeconds: Int = 1,
        smspartnerErrorsWithHTTP200: Bool = false,
        seed: UInt64 = 1
    ) {
        self.host = host
        self.port = port
        self.apiLogin = apiLogin
        self.apiKey = apiKey
        self.smspartnerKey = smspartnerKey
        self.quota = quota
        self.latencyMs = latencyMs
        self.failRate = failRate
        self.throttleRate = throttleRate
        self.ambiguousRate = ambiguousRate
        self.ambiguousDropShare = ambiguousDropShare
        self.retryAfterSeconds = retryAfterSeconds
        self.smspartnerErrorsWithHTTP200 = smspartnerErrorsWithHTTP200
        self.seed = seed
    }
}
