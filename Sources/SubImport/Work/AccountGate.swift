import Foundation

/// Everything in one runtime that calls one provider account shares one gate: one rate limiter
/// and one fatal stop. Gates are looked up by account key in the runtime's own `AccountGates`.
/// Nothing else in the process is shared; a shared limiter (`DepartureLimiter`) also shares the
/// pace and the stop with the other processes and hosts calling the account.
public final class AccountGate: @unchecked Sendable {
    public let account: String
    public let limiter: any DepartureLimiter
    private let lock = NSLock()
    private var reason: String?

    init(account: String, limiter: any DepartureLimiter) {
        self.account = account
        self.limiter = limiter
    }

    /// Why the account was stopped (a fatal answer here, or one another process published
    /// through the limiter), or nil while it may be called.
    public var stopReason: String? {
        lock.lock()
        let own = reason
        lock.unlock()
        return own ?? limiter.publishedStopReason
    }

    /// Stops every sender of this account; the first reason wins. The stop is published through
    /// the limiter (to other processes, for a shared one), and senders waiting on the limiter are
    /// woken to see it.
    public func stop(reason: String) {
        lock.lock()
        if self.reason == nil { self.reason = reason }
        lock.unlock()
        limiter.publishStop(reason: reason)
        limiter.wakeWaiters()
    }

    /// Lets the account be called again (an operator fixed the cause), here and, through the
    /// limiter, everywhere the stop was published.
    public func resume() {
        lock.lock()
        reason = nil
        lock.unlock()
        limiter.withdrawStop()
    }
}
