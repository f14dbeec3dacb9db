import Foundation

/// A token bucket that paces requests: `rate` tokens a second, up to `burst` saved up.
///
/// Callers block in `acquire` until their request may leave; each caller reserves its token on
/// arrival, so waiting callers leave in order of arrival, `1/rate` seconds apart. A 429 from
/// the provider calls `throttle`, which halves the effective rate (down to 1/16 of the
/// configured one) and holds every caller until the provider's `Retry-After` has passed; the
/// rate then recovers, doubling every `recoveryInterval` seconds without a new 429.
/// A rate of 0 means unlimited: only `throttle` pauses callers then.
public final class TokenBucket: DepartureLimiter, @unchecked Sendable {
    public let configuredRate: Double
    public let burst: Double
    public let recoveryInterval: Double
    private let condition = NSCondition()
    private var tokens: Double
    private var lastRefill: Double?
    private var factor: Double = 1
    private var lastThrottle: Double = 0
    private var pausedUntil: Double = 0
    private var cancelled = false
    private var reservationCount = 0
    private var waitingCount = 0

    /// The longest a caller is ever held (seconds), whatever a provider asked for: every wait is
    /// clamped to it, so no provider value can become a time the system cannot represent.
    public static let longestPause: Double = 86_400

    /// A bucket of `rate` requests per second (0 = unlimited) holding at most `burst` tokens.
    public init(rate: Double, burst: Int, recoveryInterval: Double = 5) {
        configuredRate = max(0, rate)
        self.burst = Double(max(1, burst))
        self.recoveryInterval = recoveryInterval
        tokens = Double(max(1, burst))
    }

    /// The rate in force now, after any slow-down; 0 = unlimited.
    public func effectiveRate() -> Double { effectiveRate(at: Self.monotonic()) }

    /// The rate in force at `time` (monotonic seconds), after any slow-down; 0 = unlimited.
    public func effectiveRate(at time: Double) -> Double {
        condition.lock()
        defer { condition.unlock() }
        recover(at: time)
        return configuredRate * factor
    }

    /// Reserves one request at `time` (monotonic seconds) and returns how long its caller must
    /// wait before sending (0 = at once). The pure core of `acquire`.
    public func reserve(at time: Double) -> Double {
        condition.lock()
        defer { condition.unlock() }
        return reserveLocked(at: time)
    }

    /// Requests reserved so far and not given back: every sender of the account that waited on
    /// this bucket.
    public var reservations: Int {
        condition.lock()
        defer { condition.unlock() }
        return reservationCount
    }

    private func reserveLocked(at time: Double) -> Double {
        reservationCount += 1
        recover(at: time)
        let pause = max(0, pausedUntil - time)
        guard configuredRate > 0 else { return pause }
        let rate = configuredRate * factor
        let start = max(time, pausedUntil)
        if let last = lastRefill {
            tokens = min(burst, tokens + max(0, start - last) * rate)
        }
        lastRefill = start
        tokens -= 1
        return pause + (tokens >= 0 ? 0 : -tokens / rate)
    }

    /// Blocks until one request may be sent. Returns false, with the reservation given back, if
    /// the bucket was cancelled or `shouldStop` turned true meanwhile; `shouldStop` is checked
    /// on arrival and whenever `wakeWaiters` (or `cancel`) is called, so a caller that makes it
    /// true and then calls `wakeWaiters` never waits for the pause to end. `shouldStop` must not
    /// call into this bucket.
    @discardableResult
    public func acquire(unless shouldStop: () -> Bool) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if cancelled || shouldStop() { return false }
        let wait = reserveLocked(at: Self.monotonic())
        guard wait > 0 else { return true }
        let deadline = Self.monotonic() + min(wait, Self.longestPause)
        waitingCount += 1
        defer { waitingCount -= 1 }
        while true {
            if cancelled || shouldStop() {
                refundLocked()
                return false
            }
            let left = deadline - Self.monotonic()
            if left <= 0 { return true }
            _ = condition.wait(until: Date(timeIntervalSinceNow: min(left, 60)))
        }
    }

    /// Reserves one request only when it may leave at once: not cancelled, not paused, and (at a
    /// limited rate) a whole token saved up, so no caller waiting in `acquire` is overtaken.
    /// Returns false with nothing reserved otherwise. Never blocks.
    public func tryAcquire() -> Bool { tryAcquire(at: Self.monotonic()) }

    /// `tryAcquire` at `time` (monotonic seconds): its pure core.
    public func tryAcquire(at time: Double) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !cancelled else { return false }
        recover(at: time)
        guard pausedUntil <= time else { return false }
        if configuredRate > 0 {
            let rate = configuredRate * factor
            let saved = lastRefill.map { min(burst, tokens + max(0, time - $0) * rate) } ?? tokens
            guard saved >= 1 else { return false }
        }
        guard reserveLocked(at: time) == 0 else {
            refundLocked()
            return false
        }
        return true
    }

    /// Gives back a reservation whose request was never sent (nothing was left to send).
    public func refund() {
        condition.lock()
        defer { condition.unlock() }
        refundLocked()
    }

    private func refundLocked() {
        reservationCount -= 1
        if configuredRate > 0 { tokens = min(burst, tokens + 1) }
    }

    /// Callers blocked in `acquire` right now.
    public var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return waitingCount
    }

    /// Makes every caller blocked in `acquire` check its `shouldStop` again.
    public func wakeWaiters() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// The provider pushed back now: see `throttle(retryAfter:at:)`.
    public func throttle(retryAfter: Double?) { throttle(retryAfter: retryAfter, at: Self.monotonic()) }

    /// The provider pushed back at `time`: halve the rate and hold every caller for `retryAfter`
    /// seconds (1 s when the provider did not say or said something that is not a duration;
    /// never more than `longestPause`).
    public func throttle(retryAfter: Double?, at time: Double) {
        condition.lock()
        defer { condition.unlock() }
        recover(at: time)
        factor = max(1.0 / 16, factor / 2)
        lastThrottle = time
        pausedUntil = max(pausedUntil, time + min(RetryAfter.sane(retryAfter) ?? 1, Self.longestPause))
        tokens = min(tokens, 0)
        lastRefill = pausedUntil
    }

    /// Wakes every waiting caller; later `acquire` calls return false at once.
    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    private func recover(at time: Double) {
        while factor < 1, time - lastThrottle >= recoveryInterval {
            factor = min(1, factor * 2)
            lastThrottle += recoveryInterval
        }
    }

    /// Monotonic seconds (not wall-clock time).
    public static func monotonic() -> Double {
        Double(DispatchTime.now().uptimeNanoseconds) / 1e9
    }
}
