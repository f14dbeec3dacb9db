import Foundation
import GRDB

/// The durable job queue: one SQLite database in WAL mode under the state folder.
///
/// Every state change of a job and the record of why it happened are written in one
/// transaction. The store is safe to share between threads and between processes on the
/// same state folder (SQLite locking; claims are single `UPDATE … RETURNING` statements).
public final class QueueStore: Sendable {
    /// The folder holding the database (mode 0700).
    public let directory: String
    let pool: DatabasePool

    /// Opens (creating if needed) the queue in `directory`, creating the folder with mode 0700
    /// and the database files with mode 0600, and migrates the schema to the latest version.
    public init(directory: String) throws {
        self.directory = directory
        try FilePermissions.prepareStateDirectory(directory)
        let path = (directory as NSString).appendingPathComponent("queue.sqlite")
        try FilePermissions.checkDatabaseFiles(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            // Freed pages (for example a password removed from a settled row) are overwritten.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Larger pages make bulk ingest cheaper; page_size only
            // takes effect when the database file is created.
            try db.execute(sql: "PRAGMA page_size = 16384")
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
    }

    /// Runs `body` in one write transaction.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.write(body)
    }

    /// Runs `body` on a read-only snapshot.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }
}
