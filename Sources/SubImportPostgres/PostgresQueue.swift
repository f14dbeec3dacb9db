import Foundation
import Logging
import PostgresNIO
import SubImport

/// The job queue in one PostgreSQL database shared by every worker on every host (`--queue
/// postgres://user@host:port/database`): the same guarantees as the SQLite `QueueStore`
/// (see `JobQueue`), whatever the number of processes and hosts.
///
/// - Claims are one `UPDATE … FROM (SELECT … FOR UPDATE OF job SKIP LOCKED)` statement: two
///   workers never hold the same job, and a claim never waits for another one.
/// - Settlements of a group commit in one transaction; each applies only to the claim that
///   sent it (a conditional `UPDATE`, re-checked by the server against a concurrent rescue).
/// - Timestamps are the engine's clock (`now()`, seconds since 1970), never the server's.
/// - The schema is migrated at open under an advisory lock (`PostgresMigrations`).
/// - A server that is down or stuck makes every call throw within `PostgresTimeouts` of the
///   busy timeout, so the engine keeps its answers in the journal and retries.
///
/// `directory` is this host's own state folder (answer journal, dry runs, the state lock).
public final class PostgresQueue: JobQueue {
    public let directory: String
    public let options: StoreOptions
    /// The server and database (never a password).
    public let server: PostgresLocation
    let pool: PostgresConnectionPool
    private let secretErased = SecretErasedHook()
    /// Claims that may have committed without this process knowing (see `PostgresUnknownClaims`).
    let unknownClaims = PostgresUnknownClaims()

    /// Connections kept to the server by one process.
    static let poolSize = 8

    /// Opens the queue at `url` (no password in it: `PostgresPassword` finds it in
    /// `environment`), prepares the local state folder `directory` (mode 0700) and migrates the
    /// schema to the latest version. Throws `SubImportError.queueLocation` for a malformed URL, a
    /// server that cannot be reached or refuses the login, naming the location (never a password).
    public init(
        url: String, directory: String, options: StoreOptions = StoreOptions(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "subimport.postgres")
    ) throws {
        let server = try PostgresLocation(url: url)
        self.server = server
        self.directory = directory
        self.options = options
        try FilePermissions.prepareStateDirectory(directory)
        pool = try PostgresConnectionPool(
            location: server, password: PostgresPassword.find(for: server, environment: environment),
            size: Self.poolSize, timeouts: PostgresTimeouts(busyTimeout: options.busyTimeout), logger: logger)
        do {
            try write { try PostgresMigrations.migrate($0) }
        } catch {
            pool.shutdown()
            throw error
        }
    }

    deinit { pool.shutdown() }

    /// Closes every connection; later calls throw.
    public func close() { pool.shutdown() }

    /// The server and database, for messages.
    public var location: String { server.description }

    /// Opens a transaction that would write and rolls it back, writing nothing: throws when the
    /// server cannot be reached, refuses writes (a read-only standby or a read-only default
    /// transaction) or does not answer within the timeouts.
    public func checkWritable() throws {
        try run { pool in
            try pool.withConnection { session in
                try session.execute("BEGIN")
                defer { _ = try? session.execute("ROLLBACK") }
                try session.execute("UPDATE subimport_migration SET version = version WHERE false")
            }
        }
    }

    /// Returns true at once. PostgreSQL never overwrites a row in place: a settled row's erased
    /// password stays in the old version of the row, on disk, until `VACUUM` reclaims it, and
    /// the server's WAL keeps it until its segments are recycled. Autovacuum does this on its own
    /// (for the `job` table, after its `autovacuum_vacuum_scale_factor` share of rows changed); an
    /// operator who needs it done now runs `VACUUM job` (and `CHECKPOINT`) on the database, and
    /// keeps the server's data folder, WAL archive and backups as private as the passwords.
    @discardableResult
    public func scrubErasedSecrets(wait: Double) -> Bool { true }

    /// Registers `action`, called (on the committing thread) after each commit that erased a
    /// settled row's password. Replaces any earlier action.
    public func onSecretErased(_ action: (@Sendable () -> Void)?) {
        secretErased.set(action)
    }

    func secretWasErased() { secretErased.call() }

    /// Runs `body` in one transaction (committed when it returns).
    @discardableResult
    func write<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try run { try $0.transaction(.readCommitted, body) }
    }

    /// Runs `body` on one connection, each statement its own transaction.
    @discardableResult
    func read<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try run { try $0.withConnection(body) }
    }

    /// Runs `body` in one read-only transaction that sees one snapshot of the queue.
    func readSnapshot<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try run { try $0.transaction(.snapshot, body) }
    }

    /// Runs `body` with the pool, turning a server or connection error into a `SubImportError`
    /// that names the queue (errors of the engine's own, such as `unknownBatch`, pass through).
    private func run<T>(_ body: (PostgresConnectionPool) throws -> T) throws -> T {
        do {
            return try body(pool)
        } catch let error as SubImportError {
            throw error
        } catch {
            throw SubImportError.io("the queue at \(location) failed: \(PostgresErrorText.describe(error))")
        }
    }
}
