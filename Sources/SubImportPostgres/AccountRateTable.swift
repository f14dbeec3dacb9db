import Foundation
import PostgresNIO

/// The `subimport_account_rate` table: one row per provider account holding the departure
/// schedule every process and host calling the account shares, and the account's fatal stop.
///
/// The schedule is the token bucket's reserve-on-arrival written as a virtual schedule (GCRA):
/// `next_slot` is the time, on the DATABASE clock (epoch seconds), by which every departure
/// reserved so far has left at the pace `spacing = 1 / (rate × factor)`. A reservation at `now`
/// leaves at `GREATEST(start, base − (burst − 1) × spacing)` with `start = GREATEST(now,
/// paused_until)` and `base = GREATEST(next_slot, start)`, and moves `next_slot` to `base +
/// spacing`: at most `burst` leave at once after a quiet time, then one every `spacing`, in order
/// of reservation, whoever reserves. Each statement below is ONE round trip that locks the row
/// for itself only (autocommit), so reservations of all hosts are serialised by the row lock and
/// every host's clock is irrelevant: only the server's `clock_timestamp()` counts.
///
/// `factor` (1, ½, … ¹⁄₁₆) is the slow-down of a 429 and `last_throttle` its recovery origin:
/// the factor doubles every `recovery_interval` seconds without a new 429, exactly as in
/// `TokenBucket`. A rate of 0 means unlimited (only `paused_until` holds departures).
///
/// Every statement takes an optional `clock` (seconds): nil is the server's clock; a value makes
/// the arithmetic deterministic for tests.
enum AccountRateTable {

    /// What a process found when it registered its rate for an account.
    struct Registration: Equatable {
        /// The rate and burst the row had before (nil: the row is new).
        var previousRate: Double?
        var previousBurst: Double?
        /// The stop the registration lifted, if there was one.
        var liftedStop: String?
    }

    /// Makes `rate`, `burst` and `recoveryInterval` the account's for every process (the last
    /// process to start wins) and lifts any stop left in the row: a starting process is the
    /// operator's go, as a new run of a single-host queue starts unstopped.
    static func register(
        _ session: PostgresSession, account: String, rate: Double, burst: Double, recoveryInterval: Double,
        by owner: String
    ) throws -> Registration {
        let rows = try session.query(
            """
            WITH old AS (SELECT rate, burst, stop_reason FROM subimport_account_rate WHERE account = \(account) FOR UPDATE)
            INSERT INTO subimport_account_rate (account, rate, burst, recovery_interval, registered_by)
            VALUES (\(account), \(rate), \(burst), \(recoveryInterval), \(owner))
            ON CONFLICT (account) DO UPDATE SET rate = EXCLUDED.rate, burst = EXCLUDED.burst,
                recovery_interval = EXCLUDED.recovery_interval, registered_by = EXCLUDED.registered_by,
                stop_reason = NULL, stopped_at = NULL, stopped_by = NULL
            RETURNING (SELECT rate FROM old), (SELECT burst FROM old), (SELECT stop_reason FROM old)
            """)
        guard let row = rows.first else { return Registration() }
        let (previousRate, previousBurst, stop) = try row.decode((Double?, Double?, String?).self)
        return Registration(previousRate: previousRate, previousBurst: previousBurst, liftedStop: stop)
    }

    /// What one reservation of `count` consecutive departures returned.
    struct Reservation: Equatable {
        /// When the first reserved departure may leave (database clock, seconds).
        var slot: Double
        /// The end of the schedule after it (`next_slot`).
        var nextSlot: Double
        /// The database clock when the reservation was made.
        var clock: Double
        /// Seconds between departures at the pace in force after it (0 when unlimited).
        var spacing: Double
        /// The burst in force (the row's).
        var burst: Double
        /// The rate in force after it (`rate × factor`; 0 = unlimited).
        var effectiveRate: Double
        /// The account's stop: when set, nothing was reserved.
        var stopReason: String?

        /// How long the caller of the first departure waits from `clock`.
        var wait: Double { max(0, slot - clock) }

        /// How long each of the `count` departures reserved together waits from `clock`, in
        /// order: departure i leaves at `max(slot, base + i × spacing − (burst − 1) × spacing)`
        /// where `base = nextSlot − count × spacing` (what one reservation at a time would give).
        func waits(count: Int) -> [Double] {
            let base = nextSlot - Double(count) * spacing
            return (0..<count).map { index in
                max(0, max(slot, base + (Double(index) - (burst - 1)) * spacing) - clock)
            }
        }
    }

    /// The factor (and its recovery origin) after the recoveries due at `c.now`: doubled once per
    /// whole `recovery_interval` since the last throttle, up to 1.
    private static let recovered = """
        CROSS JOIN LATERAL (SELECT
            CASE WHEN r.factor < 1 AND c.now - r.last_throttle >= r.recovery_interval
                THEN LEAST(1, r.factor * power(2, LEAST(8, floor((c.now - r.last_throttle) / r.recovery_interval))))
                ELSE r.factor END AS factor,
            CASE WHEN r.factor < 1 AND c.now - r.last_throttle >= r.recovery_interval
                THEN r.last_throttle + r.recovery_interval * floor((c.now - r.last_throttle) / r.recovery_interval)
                ELSE r.last_throttle END AS last_throttle) AS f
        """

    /// Reserves the next `count` departures of `account` in one statement, and reads the
    /// account's stop in the same one: when it is stopped nothing is reserved (`stopReason` says
    /// why).
    static func reserve(_ session: PostgresSession, account: String, count: Int = 1, clock: Double? = nil) throws
        -> Reservation?
    {
        let rows = try session.query(
            """
            UPDATE subimport_account_rate AS r
            SET (factor, last_throttle, next_slot, last_slot, last_clock, reserved) = (
                SELECT f.factor, f.last_throttle,
                    CASE WHEN r.stop_reason IS NULL THEN b.base + \(count) * s.spacing ELSE r.next_slot END,
                    GREATEST(b.start, b.base - (r.burst - 1) * s.spacing),
                    c.now,
                    r.reserved + CASE WHEN r.stop_reason IS NULL THEN \(count) ELSE 0 END
                FROM (SELECT COALESCE(\(clock)::float8, extract(epoch FROM clock_timestamp())::float8) AS now) AS c
                \(unescaped: recovered)
                CROSS JOIN LATERAL (SELECT CASE WHEN r.rate > 0 THEN 1 / (r.rate * f.factor) ELSE 0 END AS spacing) AS s
                CROSS JOIN LATERAL (SELECT GREATEST(c.now, r.paused_until) AS start,
                    GREATEST(r.next_slot, c.now, r.paused_until) AS base) AS b
            )
            WHERE r.account = \(account)
            RETURNING r.last_slot, r.next_slot, r.last_clock, r.rate, r.burst, r.factor, r.stop_reason
            """)
        guard let row = rows.first else { return nil }
        let (slot, nextSlot, now, rate, burst, factor, stop) = try row.decode(
            (Double, Double, Double, Double, Double, Double, String?).self)
        return Reservation(
            slot: slot, nextSlot: nextSlot, clock: now, spacing: rate > 0 ? 1 / (rate * factor) : 0, burst: burst,
            effectiveRate: rate * factor, stopReason: stop)
    }

    /// The provider pushed back: halve the factor (down to ¹⁄₁₆), hold every departure of every
    /// process until `pause` seconds from now, and start the schedule again after it with no
    /// burst saved up (the token bucket's `tokens = min(tokens, 0)`: a debt of reserved
    /// departures is carried over, at the new pace). Returns the rate in force after it.
    static func throttle(_ session: PostgresSession, account: String, pause: Double, clock: Double? = nil) throws
        -> Double?
    {
        try session.query(
            """
            UPDATE subimport_account_rate AS r
            SET (factor, last_throttle, paused_until, next_slot, last_clock) = (
                SELECT t.factor, c.now, p.paused_until,
                    CASE WHEN r.rate > 0
                        THEN p.paused_until
                            + GREATEST(r.burst, (r.next_slot - c.now) * r.rate * f.factor) / (r.rate * t.factor)
                        ELSE r.next_slot END,
                    c.now
                FROM (SELECT COALESCE(\(clock)::float8, extract(epoch FROM clock_timestamp())::float8) AS now) AS c
                \(unescaped: recovered)
                CROSS JOIN LATERAL (SELECT GREATEST(1.0 / 16, f.factor / 2) AS factor) AS t
                CROSS JOIN LATERAL (SELECT GREATEST(r.paused_until, c.now + \(pause)::float8) AS paused_until) AS p
            )
            WHERE r.account = \(account)
            RETURNING r.rate * r.factor
            """
        ).first?.decode(Double.self)
    }

    /// Gives back one reserved departure that was never used: the schedule's end moves back one
    /// spacing, never earlier than now (a full bucket stays full: at most `burst` at once).
    static func refund(_ session: PostgresSession, account: String, clock: Double? = nil) throws {
        try session.execute(
            """
            UPDATE subimport_account_rate AS r
            SET (next_slot, reserved) = (
                SELECT CASE WHEN r.rate > 0
                        THEN GREATEST(r.next_slot - 1 / (r.rate * r.factor), LEAST(r.next_slot, c.now))
                        ELSE r.next_slot END,
                    r.reserved - 1
                FROM (SELECT COALESCE(\(clock)::float8, extract(epoch FROM clock_timestamp())::float8) AS now) AS c
            )
            WHERE r.account = \(account)
            """)
    }

    /// Stops the account for every process; the first reason wins. Returns the reason in force.
    static func stop(_ session: PostgresSession, account: String, reason: String, by owner: String) throws -> String? {
        try session.query(
            """
            UPDATE subimport_account_rate
            SET stop_reason = COALESCE(stop_reason, \(reason)),
                stopped_at = CASE WHEN stop_reason IS NULL THEN clock_timestamp() ELSE stopped_at END,
                stopped_by = CASE WHEN stop_reason IS NULL THEN \(owner) ELSE stopped_by END
            WHERE account = \(account)
            RETURNING stop_reason
            """
        ).first?.decode(String?.self) ?? nil
    }

    /// Lifts the account's stop for every process.
    static func withdrawStop(_ session: PostgresSession, account: String) throws {
        try session.execute(
            """
            UPDATE subimport_account_rate SET stop_reason = NULL, stopped_at = NULL, stopped_by = NULL
            WHERE account = \(account)
            """)
    }

    /// The account's stop as the database has it now (nil: none).
    static func stopReason(_ session: PostgresSession, account: String) throws -> String? {
        try session.query("SELECT stop_reason FROM subimport_account_rate WHERE account = \(account)")
            .first?.decode(String?.self) ?? nil
    }

    /// Departures reserved and not given back, by every process, since the row was created.
    static func reserved(_ session: PostgresSession, account: String) throws -> Int {
        try session.query("SELECT reserved FROM subimport_account_rate WHERE account = \(account)")
            .first?.decode(Int.self) ?? 0
    }
}
