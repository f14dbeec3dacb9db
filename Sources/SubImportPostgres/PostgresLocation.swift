import Foundation
import SubImport

/// Where a shared PostgreSQL queue is: `postgres://user@host:port/database[?sslmode=…]`.
///
/// The URL never holds a password (one written there would end up in shell history, `ps` and
/// service files): a URL with one is refused. The password comes from `PGPASSWORD` or from the
/// `.pgpass` file (`PostgresPassword`).
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS (libpq's `sslmode` names).
    public enum TLSMode: String, Sendable {
        /// Plain TCP (the default on loopback and for a unix socket).
        case disable
        /// TLS when the server offers it (the default for any other host).
        case prefer
        /// TLS or no connection.
        case require
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var tls: TLSMode

    /// Parses `url`; throws `SubImportError.usage` saying what is wrong (never echoing a password).
    public init(url: String) throws {
        guard let components = URLComponents(string: url),
            let scheme = components.scheme?.lowercased(), scheme == "postgres" || scheme == "postgresql"
        else {
            throw SubImportError.queueLocation("--queue must look like postgres://user@host:5432/database")
        }
        if components.password != nil {
            throw SubImportError.queueLocation(
                "--queue must not hold a password: put it in PGPASSWORD or in ~/.pgpass (mode 0600)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw SubImportError.queueLocation("--queue names no host: postgres://user@host:5432/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw SubImportError.queueLocation("--queue names no database: postgres://user@host:5432/database")
        }
        self.host = host
        port = components.port ?? 5432
        user = components.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        self.database = database
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value
        if let mode {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw SubImportError.queueLocation("--queue: sslmode must be disable, prefer or require, not \(mode)")
            }
            tls = parsed
        } else {
            tls = Self.isLoopback(host) ? .disable : .prefer
        }
    }

    /// The URL without any secret (there is none in it): for messages and logs.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    private static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }
}
