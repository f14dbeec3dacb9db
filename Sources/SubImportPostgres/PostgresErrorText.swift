import PostgresNIO

/// What a PostgreSQL error says, for an operator: the server's message and SQLSTATE when there is
/// one (`PSQLError`'s own description hides them), the error otherwise. Never a password: the
/// server's messages do not contain one and queries bind values as parameters.
enum PostgresErrorText {
    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let server = error.serverInfo, let message = server[.message] {
            let state = server[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
            return message + state
        }
        // A connection failure says why in its underlying error (refused, unreachable, timed out).
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
