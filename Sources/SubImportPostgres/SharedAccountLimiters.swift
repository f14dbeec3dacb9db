import Foundation
import Logging
import SubImport

/// Makes the `SharedAccountLimiter`s of one PostgreSQL database, over one small connection pool
/// of their own: hand `accountGates()` to every `ImportSession` of the runtime, and each account's
/// rate and fatal stop are shared with every process and host using that database.
public final class SharedAccountLimiters: Sendable {
    private let pool: PostgresConnectionPool
    private let ownsPool: Bool
    private let stopPollInterval: Double
    private let recoveryInterval: Double
    private let logger: Logger

    /// Limiters of the database at `location` (the password from `PostgresPassword`), over
    /// `connections` connections opened when first needed. A caller waiting for its slot reads
    /// the account's stop every `stopPollInterval` seconds; after a 429 the rate doubles back
    /// every `recoveryInterval` seconds (registered with the rate: the last process started wins).
    public init(
        location: PostgresLocation, password: String?, connections: Int = 4, stopPollInterval: Double = 1,
        recoveryInterval: Double = 5, logger: Logger
    ) throws {
        pool = try PostgresConnectionPool(location: location, password: password, size: connections, logger: logger)
        ownsPool = true
        self.stopPollInterval = stopPollInterval
        self.recoveryInterval = recoveryInterval
        self.logger = logger
    }

    /// Limiters using `pool` (owned by the caller: `shutdown` leaves it open).
    init(pool: PostgresConnectionPool, stopPollInterval: Double = 1, recoveryInterval: Double = 5, logger: Logger) {
        self.pool = pool
        ownsPool = false
        self.stopPollInterval = stopPollInterval
        self.recoveryInterval = recoveryInterval
        self.logger = logger
    }

    /// The limiter of `account` at `rate` requests per second (0 = unlimited) for every process
    /// together, `burst` at once; registering it makes that rate the account's for everyone
    /// (the last process to start wins) and lifts a stop left by an earlier run. Throws
    /// `SubImportError.queueLocation` when the database cannot be used.
    public func limiter(account: String, rate: Double, burst: Int) throws -> SharedAccountLimiter {
        try SharedAccountLimiter(
            pool: pool, account: account, rate: rate, burst: burst, recoveryInterval: recoveryInterval,
            stopPollInterval: stopPollInterval, logger: logger)
    }

    /// Account gates whose limiters are these shared ones (one per account, as always).
    public func accountGates() -> AccountGates {
        AccountGates { account, rate, burst in try self.limiter(account: account, rate: rate, burst: burst) }
    }

    /// Closes the connections (when the pool is this object's own); limiters made here must not
    /// be used afterwards.
    public func shutdown() {
        if ownsPool { pool.shutdown() }
    }
}
