import Foundation

/// The account gates of one runtime (one command, or one test's engine), by account key: the
/// runtime that creates the registry owns its gates, and nothing else in the process sees them.
/// Two runtimes in one process, even for the same account, never share a limiter nor a stop
/// (unless their `makeLimiter` shares them elsewhere, as a PostgreSQL queue's limiter does).
public final class AccountGates: @unchecked Sendable {
    /// Makes the limiter of an account the first time its gate is asked for.
    public typealias LimiterFactory =
        @Sendable (_ account: String, _ rate: Double, _ burst: Int) throws ->
        any DepartureLimiter

    private let lock = NSLock()
    private var gates: [String: AccountGate] = [:]
    private let makeLimiter: LimiterFactory

    /// Gates whose limiters are in-process `TokenBucket`s.
    public init() {
        makeLimiter = { _, rate, burst in TokenBucket(rate: rate, burst: burst) }
    }

    /// Gates whose limiters `makeLimiter` makes (called once per account, under this registry's
    /// lock; what it throws is thrown by `gate`).
    public init(makeLimiter: @escaping LimiterFactory) {
        self.makeLimiter = makeLimiter
    }

    /// The gate of `account`, created with `rate` and `burst` the first time it is asked for;
    /// later callers of this registry share that gate (and its limiter). Throws
    /// `AccountGateConflict` when a later caller asks for another rate or burst, instead of
    /// silently using the first caller's.
    public func gate(account: String, rate: Double, burst: Int) throws -> AccountGate {
        lock.lock()
        defer { lock.unlock() }
        if let gate = gates[account] {
            guard gate.limiter.configuredRate == max(0, rate), gate.limiter.burst == Double(max(1, burst)) else {
                throw AccountGateConflict(
                    account: account, rate: gate.limiter.configuredRate, burst: Int(gate.limiter.burst))
            }
            return gate
        }
        let gate = AccountGate(account: account, limiter: try makeLimiter(account, rate, burst))
        gates[account] = gate
        return gate
    }
}

/// One runtime asked for an account's gate with a rate or burst other than the one it already has.
public struct AccountGateConflict: Error, CustomStringConvertible {
    public let account: String
    public let rate: Double
    public let burst: Int

    public var description: String {
        "account \(account) is already paced at --rate \(rate) --burst \(burst) in this run; one account has one rate limiter"
    }
}
