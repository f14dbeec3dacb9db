import Foundation

/// What paces the requests of one provider account: every sender reserves a departure before its
/// request leaves. `TokenBucket` paces one runtime; a shared implementation (PostgreSQL's
/// `SharedAccountLimiter`) paces every process and host calling the account, and shares its
/// fatal stop with them too.
///
/// Guarantees every implementation keeps:
/// - `acquire` reserves on arrival: waiting callers leave in order of their reservation, at most
///   `burst` at once, then `1 / effectiveRate()` seconds apart;
/// - `throttle` halves the effective rate (down to 1/16 of the configured one) and holds every
///   caller for the provider's `Retry-After`; the rate then doubles back every recovery interval
///   without a new 429;
/// - a rate of 0 means unlimited: only `throttle` pauses callers then.
public protocol DepartureLimiter: AnyObject, Sendable {
    /// The requests per second this runtime asked for (0 = unlimited).
    var configuredRate: Double { get }
    /// How many requests may leave at once after a quiet time.
    var burst: Double { get }

    /// Blocks until one request may be sent. Returns false, with the reservation given back, if
    /// the limiter was cancelled, the account is stopped, or `shouldStop` turned true meanwhile;
    /// `shouldStop` is checked on arrival and whenever `wakeWaiters` (or `cancel`) is called. It
    /// must not call into this limiter.
    func acquire(unless shouldStop: () -> Bool) -> Bool
    /// Reserves one departure only when it may leave at once, without waiting behind anyone
    /// (nothing paused, a departure saved up): true when reserved, as an `acquire` returning at
    /// once; false with nothing reserved (the caller then uses `acquire`). Never blocks.
    func tryAcquire() -> Bool
    /// Gives back a reservation whose request was never sent (nothing was left to send).
    func refund()
    /// The provider pushed back now: halve the rate and hold every caller for `retryAfter` seconds
    /// (1 s when nil or not a duration; never more than `TokenBucket.longestPause`).
    func throttle(retryAfter: Double?)
    /// The rate in force now, after any slow-down; 0 = unlimited.
    func effectiveRate() -> Double
    /// Makes every caller blocked in `acquire` check its `shouldStop` again.
    func wakeWaiters()
    /// Wakes every waiting caller; later `acquire` calls return false at once.
    func cancel()
    /// Callers of this process blocked in `acquire` right now.
    var waiting: Int { get }
    /// Requests this process reserved and did not give back.
    var reservations: Int { get }

    /// Tells every other sender of the account (other processes too, for a shared limiter) that
    /// it is stopped for `reason`; the first reason wins. `TokenBucket`: nothing to tell.
    func publishStop(reason: String)
    /// Lifts a stop published by `publishStop`, here or elsewhere.
    func withdrawStop()
    /// A stop published by any sender of the account, as last seen by this process; nil when
    /// none (always nil for a limiter that shares nothing).
    var publishedStopReason: String? { get }
}

extension DepartureLimiter {
    /// Blocks until one request may be sent (false once cancelled or stopped).
    @discardableResult
    public func acquire() -> Bool { acquire(unless: { false }) }

    /// Never reserves: every departure goes through `acquire`.
    public func tryAcquire() -> Bool { false }

    public func publishStop(reason: String) {}
    public func withdrawStop() {}
    public var publishedStopReason: String? { nil }
}
