/// What every sandbox route shares: the configuration, the account store, the traffic counters
/// and the fault injector.
struct SandboxEnvironment: Sendable {
    let configuration: SandboxConfiguration
    let store: AccountStore
    let traffic = SandboxTraffic()
    let injector: SandboxFaultInjector

    init(configuration: SandboxConfiguration) {
        self.configuration = configuration
        store = AccountStore(quota: configuration.quota)
        injector = SandboxFaultInjector(configuration)
    }

    /// The fault to inject into this request of `identity` on `endpoint`; counts the request
    /// as one more occurrence of that (endpoint, identity).
    func fault(endpoint: String, identity: String) -> SandboxFault {
        if injector.isInert { return .none }
        let occurrence = store.nextOccurrence(of: endpoint + "\u{1F}" + identity)
        return injector.decide(endpoint: endpoint, identity: identity, occurrence: occurrence)
    }

    /// The traffic counters, with the current number of accounts.
    var stats: SandboxStats { traffic.stats(accounts: store.count) }

    /// The `Retry-After` header of injected 429 answers.
    var retryAfterHeaders: [String: String] {
        ["Retry-After": String(max(0, configuration.retryAfterSeconds))]
    }
}
