import Foundation

/// Everything in one runtime that calls one provider account shares one gate: one rate limiter
/// and one fatal stop. Gates are looked up by account key in the runtime's own `AccountGates`;
/// nothing is shared between runtimes.
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
