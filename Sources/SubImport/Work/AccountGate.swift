import Foundation

/// Everything that calls one provider account shares one gate: one rate limiter and one
/// fatal stop. Gates are per process, looked up by account key in `AccountGates`.
public final class AccountGate: @unchecked Sendable {
    public let account: String
    public let limiter: TokenBucket
    private let lock = NSLock()
    private var reason: String?

    init(account: String, limiter: TokenBucket) {
        self.account = account
        self.limiter = limiter
    }

    /// Why the account was stopped (a fatal answer), or nil while it may be called.
    public var stopReason: String? {
        lock.lock()
        defer { lock.unlock() }
        return reason
    }

    /// Stops every sender of this account; the first reason wins. Senders waiting on the
    /// limiter are woken to see it.
    public func stop(reason: String) {
        lock.lock()
        if self.reason == nil { self.reason = reason }
        lock.unlock()
        limiter.wakeWaiters()
    }

    /// Lets the account be called again (an operator fixed the cause).
    public func resume() {
        lock.lock()
        reason = nil
        lock.unlock()
    }
}

/// The process-wide table of account gates.
public final class AccountGates: @unchecked Sendable {
    public static let shared = AccountGates()
    private let lock = NSLock()
    private var gates: [String: AccountGate] = [:]

    public init() {}

    /// The gate of `account`, created with `rate` and `burst` the first time it is asked for;
    /// later callers share that gate (and its limiter) whatever they pass.
    public func gate(account: String, rate: Double, burst: Int) -> AccountGate {
        lock.lock()
        defer { lock.unlock() }
        if let gate = gates[account] { return gate }
        let gate = AccountGate(account: account, limiter: TokenBucket(rate: rate, burst: burst))
        gates[account] = gate
        return gate
    }
}
