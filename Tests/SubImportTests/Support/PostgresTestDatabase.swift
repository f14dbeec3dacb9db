import Foundation
import Logging
import PostgresNIO
import SubImportPostgres
import Testing

/// A fresh, empty database of one test's own on the test PostgreSQL cluster
/// (`scripts/postgres-cluster.sh`, started by `scripts/test.sh` and CI), named by the
/// environment: `SUBIMPORT_TEST_POSTGRES_URL` (`postgres://user@127.0.0.1:PORT/postgres`, no
/// password) and `SUBIMPORT_TEST_POSTGRES_PASSWORD` (the role's password). Without them (a plain
/// `swift test`), PostgreSQL tests are skipped and say why (`required`, `skipUnlessAvailable`).
struct PostgresTestDatabase: Sendable {
    static let urlVariable = "SUBIMPORT_TEST_POSTGRES_URL"
    static let passwordVariable = "SUBIMPORT_TEST_POSTGRES_PASSWORD"

    /// Why PostgreSQL tests are skipped, when they are.
    static let skipReason: Comment =
        "no test PostgreSQL server: \(urlVariable) and \(passwordVariable) are not set (scripts/test.sh starts one)"

    /// Whether the environment names a test PostgreSQL server.
    static var isAvailable: Bool { server != nil }

    /// The condition of a test that needs PostgreSQL: skipped, with the reason, without a server.
    static var required: ConditionTrait { .enabled(if: isAvailable, skipReason) }

    /// The database's name (unique: `subimport_test_` and random hex).
    let name: String
    /// Its URL, without a password: `postgres://user@127.0.0.1:PORT/<name>`.
    let url: String
    /// The password of the URL's user.
    let password: String

    /// The environment a `PostgresQueue` or a `subimport` child finds the password in
    /// (`PGPASSWORD`), with no password file.
    var environment: [String: String] { ["PGPASSWORD": password, "PGPASSFILE": "/dev/null/none"] }

    /// Creates a new empty database on the test server; throws when there is none (check
    /// `isAvailable` or use `required` first) or it cannot be reached.
    static func create() async throws -> PostgresTestDatabase {
        guard let server else { throw PostgresTestServerMissing() }
        let name = "subimport_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        try await server.run("CREATE DATABASE \(name)")
        var location = server.location
        location.database = name
        return PostgresTestDatabase(name: name, url: location.description, password: server.password)
    }

    /// Drops the database, ending the connections still open to it (a test's queue that was
    /// not closed). Errors are ignored: the whole cluster is removed after the run anyway.
    func drop() async {
        try? await Self.server?.run("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// Skips the running test case, when there is no test server, with a warning saying why (a
    /// cancelled case of a parameterized test is not reported by itself).
    static func skipUnlessAvailable(sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard !isAvailable else { return }
        Issue.record(skipReason, severity: .warning, sourceLocation: sourceLocation)
        try Test.cancel(skipReason, sourceLocation: sourceLocation)
    }

    // MARK: The server

    /// The server the environment names: where it is, with the password of its user.
    private struct Server: Sendable {
        var location: PostgresLocation
        var password: String

        /// Runs one statement on the server's maintenance database (`location.database`).
        func run(_ sql: String) async throws {
            var logger = Logger(label: "postgres-test-database")
            logger.logLevel = .critical
            let configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: password,
                database: location.database, tls: .disable)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
            do {
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            } catch {
                try? await connection.close()
                throw error
            }
            try await connection.close()
        }
    }

    private static var server: Server? {
        let environment = ProcessInfo.processInfo.environment
        guard let url = environment[urlVariable], let password = environment[passwordVariable],
            let location = try? PostgresLocation(url: url)
        else { return nil }
        return Server(location: location, password: password)
    }
}

/// `PostgresTestDatabase.create()` without a test server.
struct PostgresTestServerMissing: Error, CustomStringConvertible {
    var description: String { "\(PostgresTestDatabase.skipReason)" }
}
