import ArgumentParser
import SubImportSandbox

/// How the options of a sandbox are named: `--quota` for `subimport sandbox`, `--sandbox-quota`
/// for the in-process sandbox of `--sandbox`.
protocol SandboxOptionNaming {
    /// Put before every option name (`""` or `"sandbox-"`).
    static var prefix: String { get }
    /// The quota when none is given.
    static var defaultQuota: Int { get }
}

/// `subimport sandbox`: plain names, the real providers' 20 sub-accounts per master.
enum StandaloneSandboxNaming: SandboxOptionNaming {
    static let prefix = ""
    static let defaultQuota = 20
}

/// `--sandbox` in the sending commands: `--sandbox-…` names, and no quota by default, so that a
/// rehearsal of a whole file is one command (`--sandbox-quota 20` rehearses the quota stop).
enum EmbeddedSandboxNaming: SandboxOptionNaming {
    static let prefix = "sandbox-"
    static let defaultQuota = 0
}

/// The sandbox behaviour options, defined once for `subimport sandbox` and `--sandbox`.
struct SandboxBehaviourOptions<Naming: SandboxOptionNaming>: ParsableArguments {
    @Option(
        name: .customLong(Naming.prefix + "quota"), help: "Sandbox sub-accounts per master account (0 = unlimited).")
    var quota = Naming.defaultQuota

    @Option(name: .customLong(Naming.prefix + "latency-ms"), help: "Sandbox delay before every answer.")
    var latencyMs = 0

    @Option(
        name: .customLong(Naming.prefix + "fail-rate"),
        help: "Share of sandbox requests answered 503 (nothing created).")
    var failRate = 0.0

    @Option(
        name: .customLong(Naming.prefix + "throttle-rate"),
        help: "Share of sandbox requests answered 429 with Retry-After.")
    var throttleRate = 0.0

    @Option(
        name: .customLong(Naming.prefix + "ambiguous-rate"),
        help: "Share of sandbox creates that create the account, then answer 502 or drop the connection.")
    var ambiguousRate = 0.0

    @Option(
        name: .customLong(Naming.prefix + "seed"),
        help: "Seed of the sandbox's fault decisions (same seed, same faults).")
    var seed: UInt64 = 1

    func validate() throws {
        guard latencyMs >= 0 else { throw ValidationError("--\(Naming.prefix)latency-ms must be 0 or more") }
        for (name, rate) in [
            ("fail-rate", failRate), ("throttle-rate", throttleRate), ("ambiguous-rate", ambiguousRate),
        ]
        where !(0...1).contains(rate) {
            throw ValidationError("--\(Naming.prefix)\(name) must be between 0 and 1 (got \(rate))")
        }
    }

    /// `configuration` with these options applied.
    func applied(to configuration: SandboxConfiguration) -> SandboxConfiguration {
        var configuration = configuration
        configuration.quota = quota
        configuration.latencyMs = latencyMs
        configuration.failRate = failRate
        configuration.throttleRate = throttleRate
        configuration.ambiguousRate = ambiguousRate
        configuration.seed = seed
        return configuration
    }
}
