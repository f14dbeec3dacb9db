import Foundation

/// A database of its own for a test, on the PostgreSQL cluster `scripts/test.sh` starts
/// (`SUBIMPORT_TEST_POSTGRES_URL`, password in `SUBIMPORT_TEST_POSTGRES_PASSWORD`), reached with
/// the real `psql`. Tests that need it are enabled only when the cluster is there.
struct ScratchPostgres {
    /// Whether a test cluster is configured.
    static var isAvailable: Bool { clusterURL != nil }

    private static var clusterURL: String? {
        ProcessInfo.processInfo.environment["SUBIMPORT_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The password of the test role, passed to children as `PGPASSWORD` (never on a command line).
    static var password: String { ProcessInfo.processInfo.environment["SUBIMPORT_TEST_POSTGRES_PASSWORD"] ?? "" }

    /// `postgres://user@host:port/<database>`: the new database's URL, without a password.
    let url: String

    /// Creates a new, empty database.
    init() throws {
        guard let cluster = Self.clusterURL, let slash = cluster.lastIndex(of: "/") else {
            throw ScratchPostgresError("SUBIMPORT_TEST_POSTGRES_URL is not set")
        }
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        _ = try Self.psql(cluster, "CREATE DATABASE \(name)")
        url = String(cluster[..<slash]) + "/" + name
    }

    /// The environment a child needs to reach the database.
    var environment: [String: String] { ["PGPASSWORD": Self.password] }

    /// Runs `sql` with `psql`; each row of the answer as its `|`-separated cells.
    func query(_ sql: String) throws -> [[String]] {
        try Self.psql(url, sql).split(separator: "\n").map { $0.components(separatedBy: "|") }
    }

    private static func psql(_ url: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", url, "-v", "ON_ERROR_STOP=1", "-At", "-F", "|", "-c", sql]
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = password
        process.environment = environment
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ScratchPostgresError("psql failed: \(String(decoding: message, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }
}

struct ScratchPostgresError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
