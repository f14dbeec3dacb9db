import Foundation
import Logging
import SubImport

/// The rate limiter of one provider account shared by every process and host that uses the same
/// PostgreSQL database: `--rate` is the total of all of them.
///
/// Each `acquire` reserves the account's next departure with one `UPDATE … RETURNING` on its
/// `subimport_account_rate` row (`AccountRateTable`: the token bucket's reserve-on-arrival on the
/// database clock, so hosts with skewed clocks share one schedule), then sleeps here until it —
/// interruptibly, like `TokenBucket`. Callers of this process that arrive while a reservation
/// statement runs are served together by the next one (`BatchCombiner`): one statement then
/// reserves one consecutive departure for each of them, so a busy process makes fewer round
/// trips than departures, and a quiet one reserves nothing ahead. The same statement returns the account's fatal stop: a stop
/// published by any process is seen by every other one at its next reservation, and by callers
/// already waiting for a slot within `stopPollInterval`. A 429 (`throttle`) halves the rate and
/// pauses departures for every process; it recovers as `TokenBucket` does.
///
/// The rate and burst in force are those of the last process that started for the account
/// (`AccountRateTable.register`; the change is logged). Starting also lifts a stop left in the
/// row. While the database cannot be reached, `acquire` retries (backing off up to 1 s, logging
/// once per outage) until it can, or until it is stopped or cancelled.
public final class SharedAccountLimiter: DepartureLimiter, @unchecked Sendable {
    public let account: String
    /// The rate this process asked for (the row's may be another process's, started later).
    public let configuredRate: Double
    public let burst: Double
    public let recoveryInterval: Double
    /// How often a caller waiting for its slot reads the account's stop (seconds).
    public let stopPollInterval: Double
    private let pool: PostgresConnectionPool
    /// Reserves departures for every caller that arrived meanwhile, in one statement.
    private let reserver: BatchCombiner<GrantedDeparture>
    private let owner: String
    private let logger: Logger
    /// Guards the waits (`cancelled`, the counts); `shouldStop` is called holding it.
    private let condition = NSCondition()
    private var cancelled = false
    private var waitingCount = 0
    private var reservationCount = 0
    /// Guards what was last read from the row: never held while calling out.
    private let seenLock = NSLock()
    private var seenStop: String?
    private var seenRate: Double
    private var failing = false
    /// Until when (monotonic) departures leave without a round trip: the account was unlimited,
    /// unpaused and not stopped when last read, less than `stopPollInterval` before.
    private var unlimitedUntil: Double = 0

    /// Registers `rate` and `burst` for `account` in the database behind `pool` (creating the
    /// table if needed) and returns its limiter. Throws when the database cannot be used.
    init(
        pool: PostgresConnectionPool, account: String, rate: Double, burst: Int, recoveryInterval: Double = 5,
        stopPollInterval: Double = 1, logger: Logger
    ) throws {
        self.pool = pool
        self.account = account
        configuredRate = max(0, rate)
        self.burst = Double(max(1, burst))
        self.recoveryInterval = recoveryInterval
        self.stopPollInterval = max(0.01, stopPollInterval)
        self.logger = logger
        owner = WorkerIdentity().description
        seenRate = configuredRate
        reserver = BatchCombiner { [pool] count in try GrantedDeparture.reserve(count, of: account, in: pool) }
        let registration: AccountRateTable.Registration
        do {
            registration = try pool.transaction { session in
                try PostgresMigrations.migrate(session)
                return try AccountRateTable.register(
                    session, account: account, rate: configuredRate, burst: self.burst,
                    recoveryInterval: recoveryInterval, by: owner)
            }
        } catch let error as SubImportError {
            throw error
        } catch {
            throw SubImportError.queueLocation(
                "cannot register the rate of account \(account) at \(pool.location): \(PostgresErrorText.describe(error))"
            )
        }
        if let previous = registration.previousRate,
            previous != configuredRate || registration.previousBurst != self.burst
        {
            logger.warning(
                "account \(account) was paced at --rate \(previous) --burst \(Int(registration.previousBurst ?? 1)) by another process; every process now paces it at --rate \(configuredRate) --burst \(Int(self.burst)) (the last to start wins)"
            )
        }
        if let lifted = registration.liftedStop {
            logger.notice("account \(account) was stopped (\(lifted)); starting lifts the stop for every process")
        }
    }

    public var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return waitingCount
    }

    public var reservations: Int {
        condition.lock()
        defer { condition.unlock() }
        return reservationCount
    }

    /// The rate in force as last read from the database (at this process's latest reservation or
    /// throttle); 0 = unlimited.
    public func effectiveRate() -> Double {
        seenLock.lock()
        defer { seenLock.unlock() }
        return seenRate
    }

    public var publishedStopReason: String? {
        seenLock.lock()
        defer { seenLock.unlock() }
        return seenStop
    }

    @discardableResult
    public func acquire(unless shouldStop: () -> Bool) -> Bool {
        guard let deadline = reserve(unless: shouldStop) else { return false }
        condition.lock()
        reservationCount += 1
        waitingCount += 1
        var nextPoll = TokenBucket.monotonic() + stopPollInterval
        while true {
            if cancelled || shouldStop() { break }
            let now = TokenBucket.monotonic()
            if deadline <= now {
                waitingCount -= 1
                condition.unlock()
                return true
            }
            if now >= nextPoll {
                condition.unlock()
                let stopped = pollStop()
                condition.lock()
                if stopped { break }
                nextPoll = TokenBucket.monotonic() + stopPollInterval
                continue
            }
            _ = condition.wait(until: Date(timeIntervalSinceNow: min(deadline, nextPoll) - now))
        }
        waitingCount -= 1
        condition.unlock()
        refund()
        return false
    }

    /// Reserves one departure, retrying while the database fails: the monotonic time at which it
    /// may leave; nil when the account is stopped, the limiter cancelled or `shouldStop` true
    /// (nothing reserved then).
    private func reserve(unless shouldStop: () -> Bool) -> Double? {
        if let now = unlimitedDeparture() { return now }
        var backoff = 0.05
        while true {
            condition.lock()
            let stop = cancelled || shouldStop()
            condition.unlock()
            if stop { return nil }
            do {
                guard let granted = try reserver.one() else { continue }
                see(stop: granted.reservation.stopReason, rate: granted.reservation.effectiveRate, stopWasRead: true)
                if let deadline = granted.deadline, granted.reservation.effectiveRate == 0,
                    deadline <= TokenBucket.monotonic()
                {
                    seenLock.withLock { unlimitedUntil = TokenBucket.monotonic() + stopPollInterval }
                }
                return granted.deadline
            } catch {
                reportFailure(error, doing: "reserve a departure")
                condition.lock()
                if !cancelled && !shouldStop() {
                    _ = condition.wait(until: Date(timeIntervalSinceNow: backoff))
                }
                condition.unlock()
                backoff = min(1, backoff * 2)
            }
        }
    }

    /// Now, when the account is unlimited and was read so less than `stopPollInterval` ago: a
    /// departure then needs no reservation (an unlimited schedule has nothing to share; a stop or
    /// a 429's pause published elsewhere is seen within `stopPollInterval`, as by a waiting caller).
    private func unlimitedDeparture() -> Double? {
        let now = TokenBucket.monotonic()
        return seenLock.withLock { now < unlimitedUntil && seenStop == nil } ? now : nil
    }

    /// Reads the account's stop; true when it is stopped.
    private func pollStop() -> Bool {
        guard let reason = try? pool.withConnection({ try AccountRateTable.stopReason($0, account: account) }) else {
            return false
        }
        see(stop: reason, rate: nil, stopWasRead: false)
        return true
    }

    public func refund() {
        condition.lock()
        reservationCount -= 1
        condition.unlock()
        // An unlimited schedule has no slot to give back.
        if unlimitedDeparture() != nil { return }
        do {
            try pool.withConnection { try AccountRateTable.refund($0, account: account) }
        } catch {
            reportFailure(error, doing: "give back a departure")
        }
    }

    public func throttle(retryAfter: Double?) {
        let pause = min(RetryAfter.sane(retryAfter) ?? 1, TokenBucket.longestPause)
        seenLock.withLock { unlimitedUntil = 0 }
        do {
            let rate = try pool.withConnection { try AccountRateTable.throttle($0, account: account, pause: pause) }
            see(stop: nil, rate: rate, stopWasRead: false)
        } catch {
            reportFailure(error, doing: "slow the account down after a 429")
        }
    }

    public func wakeWaiters() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    public func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    public func publishStop(reason: String) {
        do {
            let inForce = try pool.withConnection {
                try AccountRateTable.stop($0, account: account, reason: reason, by: owner)
            }
            see(stop: inForce ?? reason, rate: nil, stopWasRead: false)
        } catch {
            see(stop: reason, rate: nil, stopWasRead: false)
            reportFailure(error, doing: "publish the stop of the account")
        }
    }

    public func withdrawStop() {
        seenLock.lock()
        seenStop = nil
        seenLock.unlock()
        do {
            try pool.withConnection { try AccountRateTable.withdrawStop($0, account: account) }
        } catch {
            reportFailure(error, doing: "lift the stop of the account")
        }
    }

    /// Keeps what the database said: the stop (and, when `stopWasRead`, its absence) and the rate
    /// in force. A success after failures is logged once.
    private func see(stop: String?, rate: Double?, stopWasRead: Bool) {
        seenLock.lock()
        if stop != nil || stopWasRead { seenStop = stop }
        if stop != nil { unlimitedUntil = 0 }
        if let rate { seenRate = rate }
        let wasFailing = failing
        failing = false
        seenLock.unlock()
        if wasFailing { logger.notice("the rate of account \(account) is shared through the database again") }
    }

    /// Logs the first failure of an outage (never a password: queries bind their values).
    private func reportFailure(_ error: any Error, doing what: String) {
        seenLock.lock()
        let first = !failing
        failing = true
        seenLock.unlock()
        if first {
            logger.warning(
                "cannot \(what) for account \(account) at \(pool.location): \(PostgresErrorText.describe(error)); retrying"
            )
        }
    }
}

/// One caller's share of a reservation made for several (`AccountRateTable.reserve(count:)`).
private struct GrantedDeparture: Sendable {
    /// What the statement returned (the same for every caller it served).
    var reservation: AccountRateTable.Reservation
    /// The monotonic time at which this caller may leave; nil when the account is stopped.
    var deadline: Double?

    /// Reserves `count` consecutive departures of `account`: one for each caller, in order.
    static func reserve(_ count: Int, of account: String, in pool: PostgresConnectionPool) throws -> [GrantedDeparture]
    {
        let reservation = try pool.withConnection {
            try AccountRateTable.reserve($0, account: account, count: count)
        }
        guard let reservation else {
            throw SubImportError.queueLocation("the rate row of account \(account) is gone")
        }
        guard reservation.stopReason == nil else {
            return Array(repeating: GrantedDeparture(reservation: reservation, deadline: nil), count: count)
        }
        let received = TokenBucket.monotonic()
        return reservation.waits(count: count).map {
            GrantedDeparture(reservation: reservation, deadline: received + min($0, TokenBucket.longestPause))
        }
    }
}
