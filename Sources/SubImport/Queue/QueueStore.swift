import Foundation
import GRDB

/// The durable job queue: one SQLite database in WAL mode under the state folder.
///
/// Every state change of a job and the record of why it happened are written in one
/// transaction. The store is safe to share between threads and between processes on the
/// same state folder (SQLite locking; claims are single `UPDATE … RETURNING` statements).
public final class QueueStore: JobQueue {
    /// The folder holding the database (mode 0700).
    public let directory: String
    let pool: DatabasePool
    /// How writes wait for locks and how long a run keeps answers while the database cannot be written.
    public let options: StoreOptions
    /// Checkpoints the WAL in the background while an ingest appends rows.
    let ingestCheckpointer: IngestCheckpointer
    /// Called after a commit that erased a settled row's password (see `onSecretErased`).
    private let secretErased = SecretErasedHook()

    /// Opens (creating if needed) the queue in `directory`, creating the folder with mode 0700
    /// and the database files with mode 0600, and migrates the schema to the latest version.
    public init(directory: String, options: StoreOptions = StoreOptions()) throws {
        self.directory = directory
        self.options = options
        try FilePermissions.prepareStateDirectory(directory)
        let path = (directory as NSString).appendingPathComponent("queue.sqlite")
        try FilePermissions.checkDatabaseFiles(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(options.busyTimeout)
        configuration.prepareDatabase { db in
            // Freed pages (for example a password removed from a settled row) are overwritten.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if !db.configuration.readonly {
                // Statement journals (kept while a multi-row statement may need undoing) stay in
                // memory: SQLite would otherwise spill one past 64 KiB into a temporary
                // file, created and deleted at most commits, holding page images that can include
                // passwords. Readers keep SQLite's default, so large sorts may still use files.
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
            // 4 KiB pages: every commit writes whole pages to the WAL, and the send path commits
            // small groups of answers and claims all the time (measured against 16 KiB pages:
            // sending 16% faster, bulk ingest 5% slower). page_size only takes effect when the
            // database file is created: queues made before keep their 16 KiB pages.
            try db.execute(sql: "PRAGMA page_size = 4096")
        }
        let previousMask = umask(0o077)
        defer { umask(previousMask) }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try QueueMigrations.migrator.migrate(pool)
        } catch {
            throw SubImportError.io("cannot open the queue database \(path): \(error)")
        }
        for suffix in ["", "-wal", "-shm"] { FilePermissions.restrictFile(path + suffix) }
        ingestCheckpointer = IngestCheckpointer(path: path, threshold: Self.ingestCheckpointBytes / 8)
    }

    deinit { ingestCheckpointer.finish() }

    /// The database file, for messages.
    public var location: String { (directory as NSString).appendingPathComponent("queue.sqlite") }

    /// Checkpoints the WAL with TRUNCATE (`checkpointTruncatingWAL`): a settled row's password
    /// is then in no page image of any file.
    @discardableResult
    public func scrubErasedSecrets(wait: Double) -> Bool {
        checkpointTruncatingWAL(wait: wait)
    }

    /// Runs `body` in one write transaction.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    /// Copies every committed page into `queue.sqlite` and truncates the WAL to zero bytes, so
    /// that older page images (a settled row's password among them) are no longer in any file.
    /// Waits up to `wait` seconds for readers of older snapshots and for writers (so a long read
    /// never holds the writer back for the whole busy timeout); returns false when the WAL could
    /// not be fully checkpointed and truncated within `wait` (try again later). A checkpoint that
    /// SQLite gives up early (a reader of another process started between its frames and the
    /// truncation) is tried again, every 20 ms, until `wait` is spent.
    @discardableResult
    public func checkpointTruncatingWAL(wait: Double = 0.25) -> Bool {
        let deadline = Date().addingTimeInterval(max(0, wait))
        while true {
            if checkpointTruncatingOnce(wait: max(0, deadline.timeIntervalSinceNow)) { return true }
            guard deadline.timeIntervalSinceNow > 0.02 else { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// One `wal_checkpoint(TRUNCATE)`, its busy handler waiting up to `wait` seconds.
    private func checkpointTruncatingOnce(wait: Double) -> Bool {
        do {
            return try pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA busy_timeout = \(Int(wait * 1000))")
                defer { try? db.execute(sql: "PRAGMA busy_timeout = \(Int(options.busyTimeout * 1000))") }
                let result = try db.checkpoint(.truncate)
                return result.walFrameCount == result.checkpointedFrameCount
            }
        } catch {
            return false
        }
    }

    /// Registers `action`, called (on the committing thread) after each commit that erased a
    /// settled row's password. Replaces any earlier action.
    public func onSecretErased(_ action: (@Sendable () -> Void)?) {
        secretErased.set(action)
    }

    func secretWasErased() {
        secretErased.call()
    }

    /// Runs `body` on a read-only snapshot.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }
}

/// A lock-protected optional callback (a store's `onSecretErased` action).
public final class SecretErasedHook: @unchecked Sendable {
    private let lock = NSLock()
    private var action: (@Sendable () -> Void)?

    public init() {}

    /// Replaces the action (nil: none).
    public func set(_ action: (@Sendable () -> Void)?) {
        lock.withLock { self.action = action }
    }

    /// Calls the action, if any, on this thread.
    public func call() {
        lock.withLock { action }?()
    }
}
