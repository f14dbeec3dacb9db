import Foundation
import GRDB
import Logging
import PostgresNIO
import SubImport
import SubImportPostgres
import Testing

/// The stores the queue contract runs against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }
}

/// A `JobQueue` of one store kind on fresh storage for one test: its own state folder, and for
/// PostgreSQL its own database on the test server (dropped by `close`).
final class QueueUnderTest: Sendable {
    let kind: StoreKind
    let queue: any JobQueue
    let directory: TestDirectory
    /// Waits this long for a lock before a write throws (kept short: tests hold locks on purpose).
    static let options = StoreOptions(busyTimeout: 1, unwritableLimit: 5)
    private let database: PostgresTestDatabase?

    private init(kind: StoreKind, queue: any JobQueue, directory: TestDirectory, database: PostgresTestDatabase?) {
        (self.kind, self.queue, self.directory, self.database) = (kind, queue, directory, database)
    }

    /// Opens a queue of `kind` on new storage. The PostgreSQL case is skipped (with a warning
    /// saying why) when there is no test server.
    static func open(
        _ kind: StoreKind, name: String = #function, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> QueueUnderTest {
        let directory = TestDirectory(name)
        switch kind {
        case .sqlite:
            let queue = try QueueStore(directory: directory.file("state"), options: options)
            return QueueUnderTest(kind: kind, queue: queue, directory: directory, database: nil)
        case .postgres:
            try PostgresTestDatabase.skipUnlessAvailable(sourceLocation: sourceLocation)
            let database = try await PostgresTestDatabase.create()
            do {
                let queue = try makePostgresQueue(database, directory: directory.file("state"))
                return QueueUnderTest(kind: kind, queue: queue, directory: directory, database: database)
            } catch {
                await database.drop()
                throw error
            }
        }
    }

    /// Another queue on the same storage, as a second process (with PostgreSQL: on another
    /// host, with a state folder of its own) opens it.
    func another() throws -> any JobQueue {
        switch kind {
        case .sqlite: return try QueueStore(directory: directory.file("state"), options: Self.options)
        case .postgres: return try Self.makePostgresQueue(database!, directory: directory.file("other-host-state"))
        }
    }

    /// The one place that builds the PostgreSQL store: the password comes from the environment
    /// (`PGPASSWORD`), never the URL.
    private static func makePostgresQueue(_ database: PostgresTestDatabase, directory: String) throws -> PostgresQueue {
        try PostgresQueue(url: database.url, directory: directory, options: options, environment: database.environment)
    }

    /// Runs `body` with a queue of `kind` on new storage, then closes it; rethrows what `body`
    /// threw. (`body` runs in the test's task, so that its expectations count for the test.)
    static func with(
        _ kind: StoreKind, name: String = #function, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (QueueUnderTest) async throws -> Void
    ) async throws {
        let store = try await open(kind, name: name, sourceLocation: sourceLocation)
        do {
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// Closes the queue and drops the test database (ending the connections of queues still
    /// open on it); the state folder goes with `directory`.
    func close() async {
        (queue as? PostgresQueue)?.close()
        await database?.drop()
    }

    // MARK: Holding the store's write lock

    /// Runs `body` while another connection holds the store's write lock (SQLite: an immediate
    /// transaction; PostgreSQL: every table of the database locked EXCLUSIVE, reads still
    /// allowed), then releases it.
    func whileLocked<T>(_ body: () throws -> T) async throws -> T {
        switch kind {
        case .sqlite:
            let holder = try DatabaseQueue(path: directory.file("state/queue.sqlite"))
            return try holder.inTransaction(.immediate) {
                let result = Result { try body() }
                return (.rollback, result)
            }.get()
        case .postgres:
            let lock = try await PostgresTableLock.take(database!)
            let result = Result { try body() }
            try await lock.release()
            return try result.get()
        }
    }
}

extension DatabaseQueue {
    /// `inTransaction` whose body also returns a value.
    fileprivate func inTransaction<T>(
        _ kind: Database.TransactionKind, _ body: () throws -> (Database.TransactionCompletion, T)
    ) throws -> T {
        var value: T?
        try inTransaction(kind) { _ in
            let (completion, result) = try body()
            value = result
            return completion
        }
        return value!
    }
}

/// A PostgreSQL transaction holding an EXCLUSIVE lock on every table of a test database.
private struct PostgresTableLock: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    static func take(_ database: PostgresTestDatabase) async throws -> PostgresTableLock {
        var logger = Logger(label: "postgres-table-lock")
        logger.logLevel = .critical
        let location = try PostgresLocation(url: database.url)
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: database.password,
                database: location.database, tls: .disable), id: 1, logger: logger)
        let lock = PostgresTableLock(connection: connection, logger: logger)
        try await lock.run("BEGIN")
        let rows = try await connection.query(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
            logger: logger)
        var tables: [String] = []
        for try await (name) in rows.decode(String.self) { tables.append(name) }
        if !tables.isEmpty { try await lock.run("LOCK TABLE \(tables.joined(separator: ", ")) IN EXCLUSIVE MODE") }
        return lock
    }

    func run(_ sql: String) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
    }

    func release() async throws {
        try await run("ROLLBACK")
        try await connection.close()
    }
}
