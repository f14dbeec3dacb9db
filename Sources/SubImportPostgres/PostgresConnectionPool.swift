import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import SubImport

/// A few PostgreSQL connections for blocking callers: the engine's workers are Dispatch threads,
/// so a query is sent on a connection's event loop and its caller waits for the answer
/// (never call from an event loop). A connection is taken for one `withConnection` or
/// `transaction` body at a time; a caller waits while all are taken. A connection that failed
/// is closed and replaced by a new one at the next use, so a restarted server is reconnected.
/// Every connection waits at most `PostgresTimeouts` for the server: to connect, for a lock,
/// for a statement and for any answer (a stuck server or network closes the connection and throws).
final class PostgresConnectionPool: @unchecked Sendable {
    let location: PostgresLocation
    private let configuration: PostgresConnection.Configuration
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let size: Int
    private let timeouts: PostgresTimeouts
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var nextID = 0
    private var closed = false

    /// Connects lazily; throws only for a TLS setup that cannot be made. `timeouts` bound every
    /// wait for the server (by default those of the default busy timeout, 30 s).
    init(
        location: PostgresLocation, password: String?, size: Int,
        timeouts: PostgresTimeouts = PostgresTimeouts(busyTimeout: StoreOptions().busyTimeout), logger: Logger
    ) throws {
        self.location = location
        self.size = max(1, size)
        self.timeouts = timeouts
        self.logger = logger
        let tls: PostgresConnection.Configuration.TLS
        switch location.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: password,
            database: location.database, tls: tls)
        configuration.options.connectTimeout = .milliseconds(Int64(timeouts.connect * 1000))
        configuration.options.additionalStartupParameters = timeouts.startupParameters
        self.configuration = configuration
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Runs `body` with a connection of its own (autocommit: each statement is its transaction).
    func withConnection<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let connection = try checkOut()
        do {
            let result = try body(
                PostgresSession(connection: connection, logger: logger, answerTimeout: timeouts.answer))
            checkIn(connection, healthy: true)
            return result
        } catch {
            checkIn(connection, healthy: !connection.isClosed)
            throw error
        }
    }

    /// How a transaction sees the database.
    enum TransactionKind {
        /// READ COMMITTED: each statement sees what was committed before it started.
        case readCommitted
        /// REPEATABLE READ READ ONLY: every statement sees one snapshot; writes are refused.
        case snapshot
    }

    /// Runs `body` in one transaction (READ COMMITTED unless `kind` says otherwise): committed
    /// when it returns, rolled back when it throws. A failed COMMIT throws: nothing of `body` is
    /// then known to be durable.
    func transaction<T>(_ kind: TransactionKind = .readCommitted, _ body: (PostgresSession) throws -> T) throws -> T {
        try withConnection { session in
            switch kind {
            case .readCommitted: try session.execute("BEGIN")
            case .snapshot: try session.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            }
            do {
                let result = try body(session)
                try session.execute("COMMIT")
                return result
            } catch {
                _ = try? session.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Closes every connection and the event loop; later calls throw.
    func shutdown() {
        condition.lock()
        closed = true
        let connections = idle
        idle = []
        condition.broadcast()
        condition.unlock()
        for connection in connections { _ = try? connection.close().wait() }
        try? group.syncShutdownGracefully()
    }

    private func checkOut() throws -> PostgresConnection {
        condition.lock()
        while true {
            if closed {
                condition.unlock()
                throw SubImportError.queueLocation("the queue at \(location) is closed")
            }
            if let connection = idle.popLast() {
                condition.unlock()
                if connection.isClosed {
                    release()
                    condition.lock()
                    continue
                }
                return connection
            }
            if open < size {
                open += 1
                nextID += 1
                let id = nextID
                condition.unlock()
                do {
                    return try PostgresConnection.connect(
                        on: group.next(), configuration: configuration, id: id, logger: logger
                    ).wait()
                } catch {
                    release()
                    throw SubImportError.queueLocation(
                        "cannot connect to the queue at \(location): \(PostgresErrorText.describe(error))")
                }
            }
            condition.wait()
        }
    }

    private func checkIn(_ connection: PostgresConnection, healthy: Bool) {
        guard healthy else {
            _ = try? connection.close().wait()
            release()
            return
        }
        condition.lock()
        idle.append(connection)
        condition.signal()
        condition.unlock()
    }

    /// A connection slot is free again.
    private func release() {
        condition.lock()
        open -= 1
        condition.signal()
        condition.unlock()
    }
}

/// One connection lent to a blocking caller: runs queries and waits for their results.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger
    /// Seconds to wait for the server's answer before the connection is closed (`PostgresTimeouts.answer`).
    let answerTimeout: Double

    /// Runs `query`; every row of its answer.
    @discardableResult
    func query(_ query: PostgresQuery) throws -> [PostgresRow] {
        Array(try run(query).rows)
    }

    /// Runs `query`; how many rows it changed (or returned).
    @discardableResult
    func execute(_ query: PostgresQuery) throws -> Int {
        try run(query).metadata.rows ?? 0
    }

    /// Sends `query` and waits for its whole answer, at most `answerTimeout` seconds: past it the
    /// connection is closed (the pool replaces it) and this throws, so a stuck server or a cut
    /// network never blocks a caller for good.
    private func run(_ query: PostgresQuery) throws -> PostgresQueryResult {
        let connection = connection
        let expired = ManagedAtomicFlag()
        let timer = connection.eventLoop.scheduleTask(in: .milliseconds(Int64(answerTimeout * 1000))) {
            expired.set()
            let _: EventLoopFuture<Void> = connection.close()
        }
        defer { timer.cancel() }
        do {
            return try connection.query(query, logger: logger).wait()
        } catch {
            if expired.isSet {
                throw PostgresTimeoutError(seconds: answerTimeout)
            }
            throw error
        }
    }
}

/// The server did not answer within `PostgresTimeouts.answer`; the connection was closed.
struct PostgresTimeoutError: Error, CustomStringConvertible {
    var seconds: Double
    var description: String { "no answer from the server within \(seconds) s (connection closed)" }
}

/// A flag set once from any thread.
private final class ManagedAtomicFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
